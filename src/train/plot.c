/* A minimal SVG line plot (accuracy per epoch), written atomically. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/train.h"

static const char *colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

vsq_status tr_svg_lines(const char *path, const char *title, const char *xlabel,
                        const char *ylabel, int x0, const tr_series *s, int n_series) {
    double lo = INFINITY, hi = -INFINITY;
    int nmax = 1;
    for (int i = 0; i < n_series; i++) {
        if (s[i].n > nmax) nmax = s[i].n;
        for (int j = 0; j < s[i].n; j++) lo = fmin(lo, s[i].y[j]), hi = fmax(hi, s[i].y[j]);
    }
    if (!(lo < hi)) lo = (isfinite(lo) ? lo : 0) - 1, hi = lo + 2;
    double pad = 0.05 * (hi - lo);
    lo -= pad, hi += pad;
    size_t cap = 8192 + (size_t)n_series * (512 + 40 * (size_t)nmax), len = 0;
    char *buf = malloc(cap);
    if (!buf) return vsq_error(VSQ_ENOMEM, "%s: no memory", path);
    const double W = 640, H = 400, L = 70, R = 170, T = 40, B = 50;
#define OUT(...) (len += (size_t)snprintf(buf + len, cap - len, __VA_ARGS__))
    OUT("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H);
    OUT("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"%g\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">%s</text>\n", W / 2, title);
    OUT("<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"black\"/>\n", L, T, W - L - R, H - T - B);
    for (int t = 0; t <= 4; t++) {
        double v = lo + (hi - lo) * t / 4, y = H - B - (H - T - B) * t / 4;
        OUT("<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.3g</text>\n", L - 5, y + 4, v);
    }
    for (int j = 1; j <= nmax; j++) {
        double x = nmax > 1 ? L + (W - L - R) * (j - 1) / (nmax - 1) : L + (W - L - R) / 2;
        OUT("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%d</text>\n", x, H - B + 16, j - 1 + x0);
    }
    OUT("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%s</text>\n", L + (W - L - R) / 2, H - 10, xlabel);
    OUT("<text x=\"15\" y=\"%g\" transform=\"rotate(-90 15 %g)\" text-anchor=\"middle\">%s</text>\n", H / 2, H / 2, ylabel);
    for (int i = 0; i < n_series; i++) {
        const char *c = colors[i % 8];
        OUT("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", c);
        for (int j = 0; j < s[i].n; j++) {
            double x = nmax > 1 ? L + (W - L - R) * j / (nmax - 1) : L + (W - L - R) / 2;
            OUT("%.1f,%.1f ", x, H - B - (H - T - B) * (s[i].y[j] - lo) / (hi - lo));
        }
        OUT("\"/>\n<text x=\"%g\" y=\"%g\" fill=\"%s\">%.40s</text>\n", W - R + 10, T + 16.0 * (i + 1), c, s[i].label);
    }
    OUT("</svg>\n");
#undef OUT
    vsq_status st = len < cap ? vsq_write_atomic(path, buf, len) : vsq_error(VSQ_EINVAL, "%s: plot too large", path);
    free(buf);
    return st;
}
