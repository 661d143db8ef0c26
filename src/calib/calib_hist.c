/* calib_hist.c - histograms of magnitudes and the static calibrator.
 *
 * The calibrator sees activations batch by batch (e.g. a CNN over a
 * calibration set) and must stay cheap: each observe is two linear passes
 * (check + max, then bin), no sorting, no storage of the data. It keeps the
 * exact running max, the count of exact zeros, and a 2048-bin histogram over
 * [0, range). When a value beyond range arrives the histogram widens by
 * doubling range and merging bin pairs, so earlier counts are kept exactly
 * (at half the resolution) rather than re-sampled.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calib/calib_internal.h"

struct vsq_calibrator {
    vsq_format fmt;
    calib_hist hist;
    double total; /* values observed */
    double zeros; /* of which exactly zero magnitude */
    float max;    /* exact running max magnitude */
};

static int bin_of(double m, double range) {
    int b = (int)(m * (CALIB_NBINS / range));
    return b < CALIB_NBINS ? b : CALIB_NBINS - 1;
}

void calib_hist_fill(calib_hist *h, const float *m, size_t n, float max) {
    memset(h->count, 0, sizeof h->count);
    h->range = max;
    for (size_t i = 0; i < n; i++) h->count[bin_of(m[i], h->range)] += 1.0;
}

void calib_hist_samples(const calib_hist *h, double zeros, float max, float *v, double *w,
                        calib_samples *s) {
    const double width = h->range / CALIB_NBINS;
    size_t k = 0;
    if (zeros > 0.0) {
        v[k] = 0.0f;
        w[k++] = zeros;
    }
    for (int b = 0; b < CALIB_NBINS; b++) {
        double c = b == 0 ? h->count[0] - zeros : h->count[b];
        if (!(c > 0.0)) continue;
        double centre = (b + 0.5) * width;
        v[k] = centre < max ? (float)centre : max;
        w[k++] = c;
    }
    s->v = v;
    s->w = w;
    s->n = k;
    s->max = max;
}

float calib_hist_alpha(const vsq_format *fmt, const calib_hist *h, double zeros, float max) {
    const int qref = calib_qref(fmt);
    switch (fmt->calib) {
    case VSQ_CALIB_MAX: return max;
    case VSQ_CALIB_PERCENTILE: return calib_percentile_hist(h, fmt->percentile, max);
    case VSQ_CALIB_ENTROPY: return calib_entropy_hist(h, qref + 1, max);
    case VSQ_CALIB_MSE:
    case VSQ_CALIB_OCTAV: {
        float v[CALIB_NBINS + 1];
        double w[CALIB_NBINS + 1];
        calib_samples s;
        calib_hist_samples(h, zeros, max, v, w, &s);
        return fmt->calib == VSQ_CALIB_MSE ? calib_mse_search(&s, qref)
                                           : calib_octav(&s, calib_octav_bits(fmt));
    }
    }
    return max;
}

vsq_calibrator *vsq_calibrator_new(const vsq_format *fmt) {
    if (calib_check_format(fmt, "vsq_calibrator_new") != VSQ_OK) return NULL;
    vsq_calibrator *c = calloc(1, sizeof *c);
    if (!c) {
        vsq_error(VSQ_ENOMEM, "vsq_calibrator_new: out of memory (%zu bytes)", sizeof *c);
        return NULL;
    }
    c->fmt = *fmt;
    return c;
}

void vsq_calibrator_free(vsq_calibrator *c) { free(c); }

/* Double the range until it holds m, merging bin pairs (2b, 2b+1) -> b. */
static void widen(calib_hist *h, double m) {
    while (h->range < m) {
        for (int b = 0; b < CALIB_NBINS / 2; b++)
            h->count[b] = h->count[2 * b] + h->count[2 * b + 1];
        memset(h->count + CALIB_NBINS / 2, 0, sizeof(double) * (CALIB_NBINS / 2));
        h->range *= 2.0;
    }
}

vsq_status vsq_calibrator_observe(vsq_calibrator *c, const float *x, size_t n) {
    if (!c) return vsq_error(VSQ_EINVAL, "vsq_calibrator_observe: calibrator is NULL");
    if (n == 0) return VSQ_OK; /* an empty batch adds nothing */
    if (!x) return vsq_error(VSQ_EINVAL, "vsq_calibrator_observe: data is NULL (n = %zu)", n);
    const int uns = calib_is_unsigned(&c->fmt);
    /* Pass 1: reject non-finite data before touching the state. */
    float bmax = 0.0f;
    vsq_status st = calib_peak(x, n, uns, "vsq_calibrator_observe", &bmax);
    if (st) return st;
    if (bmax > c->max) c->max = bmax;
    if (c->hist.range == 0.0) c->hist.range = bmax; /* first non-zero batch */
    else widen(&c->hist, bmax);
    /* Pass 2: bin. Zeros always fall in bin 0, whatever the range. */
    const double range = c->hist.range;
    double zeros = 0.0;
    for (size_t i = 0; i < n; i++) {
        float m = calib_mag(x[i], uns);
        if (m == 0.0f) zeros += 1.0;
        else c->hist.count[bin_of(m, range)] += 1.0;
    }
    c->hist.count[0] += zeros;
    c->zeros += zeros;
    c->total += (double)n;
    return VSQ_OK;
}

vsq_status vsq_calibrator_alpha(const vsq_calibrator *c, float *alpha) {
    if (!c || !alpha)
        return vsq_error(VSQ_EINVAL, "vsq_calibrator_alpha: %s is NULL", c ? "alpha" : "calibrator");
    if (c->total == 0.0)
        return vsq_error(VSQ_EINVAL, "vsq_calibrator_alpha: no data observed yet");
    *alpha = c->max > 0.0f ? calib_hist_alpha(&c->fmt, &c->hist, c->zeros, c->max) : 0.0f;
    return VSQ_OK;
}
