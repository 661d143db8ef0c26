/* calib_internal.h - shared pieces of the calibrators (src/calib/).
 *
 * Every method works on "magnitudes": |x| for signed formats, max(x, 0) for
 * unsigned ones (negatives clip to zero whatever alpha is, so they do not
 * influence the choice). Data is presented to the MSE and OCTAV searches as
 * weighted samples: direct data has weight 1 per element, a histogram gives
 * its non-empty bin centres weighted by their counts.
 */
#ifndef VSQ_CALIB_INTERNAL_H
#define VSQ_CALIB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "vsq/calib.h"

#define CALIB_NBINS 2048 /* histogram size, as TensorRT's entropy calibrator */

/* Largest code magnitude alpha maps to: 2^(N-1)-1 signed, 2^N-1 unsigned.
 * Computed locally (same rule as vsq_format_qref) to keep src/calib
 * independent of the spec parser. */
int calib_qref(const vsq_format *fmt);

/* VSQ_OK if fmt has a valid element kind, bit width, method and
 * percentile; else the error (message names `who`). */
vsq_status calib_check_format(const vsq_format *fmt, const char *who);

/* Element grid is unsigned (magnitudes are max(x,0) rather than |x|). */
int calib_is_unsigned(const vsq_format *fmt);

/* Magnitude of one value for the grid of fmt. */
static inline float calib_mag(float v, int is_unsigned) {
    if (is_unsigned) return v > 0.0f ? v : 0.0f;
    return v < 0.0f ? -v : v;
}

/* Largest magnitude of x[0..n) for the grid; rejects NaN/Inf naming the
 * index and the calling function `who`. */
vsq_status calib_peak(const float *x, size_t n, int is_unsigned, const char *who, float *peak);

/* Weighted samples of magnitudes (w == NULL: all weights 1). */
typedef struct {
    const float *v;
    const double *w;
    size_t n;
    float max; /* largest v, > 0 */
} calib_samples;

/* A histogram of magnitudes over [0, range): bin b covers
 * [b*range/NBINS, (b+1)*range/NBINS); values >= range land in the last bin. */
typedef struct {
    double count[CALIB_NBINS];
    double range;
} calib_hist;

/* Quantization MSE (weighted sum of squared errors) of the samples on the
 * magnitude grid 0..qref with step alpha/qref, round half away from zero. */
double calib_mse_score(const calib_samples *s, double alpha, int qref);

/* Methods on weighted samples; each returns alpha in [0, s->max]. */
float calib_mse_search(const calib_samples *s, int qref);
float calib_octav(const calib_samples *s, int bits_eff);

/* Percentile P (0 < P <= 100) of n magnitudes, linear interpolation between
 * order statistics (rank P/100*(n-1)). Reorders m. */
float calib_percentile_direct(float *m, size_t n, double p);

/* Percentile from a histogram (interpolation inside the bin), <= max. */
float calib_percentile_hist(const calib_hist *h, double p, float max);

/* TensorRT-style KL-divergence threshold of a histogram; <= max. */
float calib_entropy_hist(const calib_hist *h, int nlevels, float max);

/* Fill h with the n magnitudes m over [0, max] (max > 0). */
void calib_hist_fill(calib_hist *h, const float *m, size_t n, float max);

/* The non-empty bins of h as weighted samples at bin centres (clamped to
 * max), plus `zeros` of bin 0's count placed at exactly 0 (ReLU outputs).
 * v and w must hold CALIB_NBINS + 1 entries. */
void calib_hist_samples(const calib_hist *h, double zeros, float max, float *v, double *w,
                        calib_samples *s);

/* Apply fmt's method to a histogram of magnitudes with the given exact
 * max (> 0) and count of exact zeros. */
float calib_hist_alpha(const vsq_format *fmt, const calib_hist *h, double zeros, float max);

/* Effective bit width of the OCTAV noise term 4^-B/3 * s^2 (= step^2/12):
 * bits for signed grids (2^B levels over [-s, s]), bits+1 for unsigned ones
 * (2^B levels over [0, s], i.e. half the step). */
int calib_octav_bits(const vsq_format *fmt);

#endif
