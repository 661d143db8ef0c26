/* hw/svg_plot.c - plots written directly as SVG: the design-space scatter
 * of the paper's Figures 4-6 (energy/op on x, performance/area on y,
 * accuracy band by colour and shape, Pareto points solid, others hollow)
 * and the grouped bar chart of Figure 3.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/hw.h"

/* A growing text buffer. */
typedef struct {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) { b->oom = 1; return; }
        if (b->s && b->n + (size_t)k < b->cap) { b->n += (size_t)k; return; }
        size_t cap = (b->cap + (size_t)k + 1) * 2;
        char *ns = realloc(b->s, cap);
        if (!ns) { b->oom = 1; return; }
        b->s = ns;
        b->cap = cap;
    }
}

static vsq_status finish(sbuf *b, const char *path) {
    put(b, "</svg>\n");
    vsq_status st = b->oom ? vsq_error(VSQ_ENOMEM, "svg: out of memory")
                           : vsq_write_atomic(path, b->s, b->n);
    free(b->s);
    return st;
}

/* Escape &, <, > for text nodes. */
static void put_text(sbuf *b, const char *t) {
    for (; *t; t++) {
        if (*t == '&') put(b, "&amp;");
        else if (*t == '<') put(b, "&lt;");
        else if (*t == '>') put(b, "&gt;");
        else put(b, "%c", *t);
    }
}

/* Plot frame */
enum { W = 760, H = 540, L = 70, R = 200, T = 40, B = 60 };

typedef struct {
    double x0, x1, y0, y1;
} box;

static double px(const box *bx, double x) { return L + (x - bx->x0) / (bx->x1 - bx->x0) * (W - L - R); }
static double py(const box *bx, double y) { return H - B - (y - bx->y0) / (bx->y1 - bx->y0) * (H - T - B); }

static double nice_step(double range) {
    double s = pow(10, floor(log10(range / 5))), r = range / s;
    return s * (r > 25 ? 5 : r > 10 ? 2 : 1);
}

static void axes(sbuf *b, const box *bx, const char *title, const char *xl, const char *yl,
                 int xticks) {
    put(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
           "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
           "fill=\"white\"/>\n<text x=\"%d\" y=\"24\" font-size=\"15\">", W, H, L);
    put_text(b, title);
    put(b, "</text>\n");
    put(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>\n",
        L, T, W - L - R, H - T - B);
    double sx = nice_step(bx->x1 - bx->x0), sy = nice_step(bx->y1 - bx->y0);
    for (double x = ceil(bx->x0 / sx) * sx; xticks && x <= bx->x1 + 1e-9; x += sx)
        put(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
               "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.2f</text>\n",
            px(bx, x), T, px(bx, x), H - B, px(bx, x), H - B + 16, x);
    for (double y = ceil(bx->y0 / sy) * sy; y <= bx->y1 + 1e-9; y += sy)
        put(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
               "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n",
            L, py(bx, y), W - R, py(bx, y), L - 6, py(bx, y) + 4, y);
    put(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (L + W - R) / 2, H - 18);
    put_text(b, xl);
    put(b, "</text>\n<text transform=\"translate(18,%d) rotate(-90)\" text-anchor=\"middle\">",
        (T + H - B) / 2);
    put_text(b, yl);
    put(b, "</text>\n");
}

/* Band styles in the paper's order: blue square, green circle, yellow
 * rhombus, red triangle (then repeat). */
static const char *const band_color[] = {"#1f5fbf", "#2ca02c", "#d4a000", "#d62728",
                                         "#8c564b", "#7f7f7f"};

static void marker(sbuf *b, int band, double x, double y, int solid) {
    const char *c = band_color[band % 6];
    const char *fill = solid ? c : "white";
    switch (band % 4) {
    case 0:
        put(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\"", x - 5, y - 5);
        break;
    case 1:
        put(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5.5\"", x, y);
        break;
    case 2:
        put(b, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\"", x, y - 7, x + 6, y,
            x, y + 7, x - 6, y);
        break;
    default:
        put(b, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\"", x, y - 6.5, x + 6.5, y + 5.5,
            x - 6.5, y + 5.5);
    }
    put(b, " fill=\"%s\" stroke=\"%s\" stroke-width=\"1.6\"/>\n", fill, c);
}

/* Legend text of band k: the accuracy threshold it stands for. */
static void band_label(sbuf *b, const vsq_dse_set *s, double edge, double base, int relative) {
    double d = relative ? edge / 100.0 * fabs(base) : edge;
    const char *m = s->metric_name[0] ? s->metric_name : "metric";
    if (s->lower_better) put(b, "%s &lt;= %.4g", m, base + d);
    else put(b, "%s &gt;= %.4g", m, base - d);
    if (relative) put(b, " (%g%%)", edge);
}

vsq_status vsq_svg_dse(const char *path, const vsq_dse_set *s, const double *edges, int n_edges,
                       double baseline, int relative, const char *title) {
    box bx = {1e9, -1e9, 1e9, -1e9};
    size_t shown = 0;
    for (size_t i = 0; i < s->n; i++) {
        const vsq_dse_point *p = &s->p[i];
        if (p->band < 0) continue;
        shown++;
        bx.x0 = fmin(bx.x0, p->cost.energy_rel), bx.x1 = fmax(bx.x1, p->cost.energy_rel);
        bx.y0 = fmin(bx.y0, p->cost.perf_per_area_rel), bx.y1 = fmax(bx.y1, p->cost.perf_per_area_rel);
    }
    if (!shown) bx = (box){0.5, 1.5, 0.5, 1.5};
    double mx = fmax(0.05, 0.08 * (bx.x1 - bx.x0)), my = fmax(0.05, 0.08 * (bx.y1 - bx.y0));
    bx.x0 -= mx, bx.x1 += mx, bx.y0 -= my, bx.y1 += my;
    sbuf b = {0};
    axes(&b, &bx, title, "energy per operation (rel. to 8/8/-/-)",
         "performance per area (rel. to 8/8/-/-)", 1);
    for (size_t i = 0; i < s->n; i++) {
        const vsq_dse_point *p = &s->p[i];
        if (p->band < 0) continue;
        double x = px(&bx, p->cost.energy_rel), y = py(&bx, p->cost.perf_per_area_rel);
        marker(&b, p->band, x, y, p->pareto);
        if (p->pareto) {
            put(&b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">", x + 8, y - 6);
            put_text(&b, p->cfg);
            put(&b, "</text>\n");
        }
    }
    for (int k = 0; k < n_edges; k++) { /* legend */
        double y = T + 14 + 22 * k;
        marker(&b, k, W - R + 20, y, 1);
        put(&b, "<text x=\"%d\" y=\"%.1f\">", W - R + 32, y + 4);
        band_label(&b, s, edges[k], baseline, relative);
        put(&b, "</text>\n");
    }
    put(&b, "<text x=\"%d\" y=\"%d\" font-size=\"10\">solid: Pareto-optimal</text>\n",
        W - R + 12, T + 22 * n_edges + 14);
    return finish(&b, path);
}

vsq_status vsq_svg_bars(const char *path, const char *title, const char *const *series,
                        int n_series, const vsq_svg_group *g, int n_groups, const char *ylabel) {
    if (n_series < 1 || n_series > 4 || n_groups < 1)
        return vsq_error(VSQ_EINVAL, "svg: 1..4 series and at least one group needed");
    double ymax = 0;
    for (int i = 0; i < n_groups; i++)
        for (int k = 0; k < n_series; k++)
            if (isfinite(g[i].value[k])) ymax = fmax(ymax, g[i].value[k]);
    box bx = {0, n_groups, 0, ymax > 0 ? ymax * 1.1 : 1};
    sbuf b = {0};
    axes(&b, &bx, title, "", ylabel, 0);
    static const char *const bar_color[] = {"#e8b500", "#9e9e9e", "#f07f1d", "#1f5fbf"};
    double gw = (double)(W - L - R) / n_groups, bw = gw * 0.8 / n_series;
    for (int i = 0; i < n_groups; i++) {
        for (int k = 0; k < n_series; k++) {
            double v = g[i].value[k];
            if (!isfinite(v)) continue;
            double x = L + i * gw + gw * 0.1 + k * bw, y = py(&bx, v);
            put(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
                x, y, bw - 1, py(&bx, 0) - y, bar_color[k]);
            put(&b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"8\" text-anchor=\"middle\">%.2f</text>\n",
                x + bw / 2, y - 2, v);
        }
        put(&b, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">",
            L + (i + 0.5) * gw, H - B + 30);
        put_text(&b, g[i].label);
        put(&b, "</text>\n");
    }
    for (int k = 0; k < n_series; k++) {
        put(&b, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" "
                "y=\"%d\">", W - R + 14, T + 8 + 20 * k, bar_color[k], W - R + 32, T + 18 + 20 * k);
        put_text(&b, series[k]);
        put(&b, "</text>\n");
    }
    return finish(&b, path);
}
