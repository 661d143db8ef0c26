/* vsq/quant.h - quantizers: float -> integer codes + scales, and back.
 *
 * All quantizers work on a matrix view of a tensor: `rows` x `cols`, row
 * major, with vectors running along cols (the vector axis, moved last; see
 * vsq_tensor_to_matrix in vsq/tensor.h). Rows are grouped into `channels`
 * equal blocks of consecutive rows: the coarse (per-channel) granularity.
 *
 * The effective scale of element (r, c) is
 *   pt:              scale[0]
 *   pc:              scale[r / rows_per_channel]
 *   vV fp32/16/e8m0: scale[r * n_vec + c / V]
 *   vV sM:           sq[r * n_vec + c / V] * gamma[g]   (eq. 7h)
 *                    g = 0 with "@pt", else r / rows_per_channel
 * and for two-level, scale[] also holds that product, as a float.
 * Dequantized value = code * effective scale (eq. 3, eq. 7j).
 */
#ifndef VSQ_QUANT_H
#define VSQ_QUANT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include "vsq/error.h"
#include "vsq/format.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    vsq_format fmt;
    size_t rows, cols;
    size_t channels;         /* rows % channels == 0 */
    size_t vec_len;          /* V (cols for pt/pc) */
    size_t n_vec;            /* vectors per row: ceil(cols / vec_len) */
    int16_t *codes;          /* rows * cols integer codes */
    float *scale;            /* n_scale effective float scales (see above) */
    size_t n_scale;
    uint16_t *sq;            /* two-level: rows * n_vec integer scales, else NULL */
    float *gamma;            /* two-level: n_gamma fp32 coarse scales, else NULL */
    size_t n_gamma;
} vsq_qtensor;

/* Quantize with weights-style static calibration: the clip value of each
 * group comes from fmt->calib applied to that group's own values (dynamic
 * per-vector calibration is the same thing applied at run time). */
vsq_status vsq_quantize(const vsq_format *fmt, const float *x, size_t rows, size_t cols,
                        size_t channels, vsq_qtensor *out);

/* Quantize with given clip values instead of calibrating: `alpha` holds one
 * value per scale group (1 for pt, channels for pc, rows*n_vec for vV).
 * Used for static activation calibration over a data set. */
vsq_status vsq_quantize_with_alpha(const vsq_format *fmt, const float *x, size_t rows,
                                   size_t cols, size_t channels, const float *alpha,
                                   vsq_qtensor *out);

/* codes * scale -> float (rows * cols). */
vsq_status vsq_dequantize(const vsq_qtensor *q, float *y);

/* Simulated quantization (eq. 3): quantize then dequantize, y may equal x. */
vsq_status vsq_fakequant(const vsq_format *fmt, const float *x, size_t rows, size_t cols,
                         size_t channels, float *y);

/* Error-compensating weight quantization (GPTQ, Frantar et al. 2023) in any
 * format: w is rows x cols (rows = output channels, cols = the layer's
 * inputs, which are also the vector axis), h the cols x cols matrix X^T X
 * of the layer's inputs over calibration data (row major), damp the
 * fraction of its mean diagonal added to the diagonal (0.01 is typical).
 * Two-level formats behave as the refined variant. See src/quant/gptq.c. */
vsq_status vsq_quantize_gptq(const vsq_format *fmt, const float *w, size_t rows, size_t cols,
                             size_t channels, const double *h, double damp, vsq_qtensor *out);

void vsq_qtensor_free(vsq_qtensor *q);

/* Check a quantized tensor (e.g. one filled in by hand): a valid format,
 * non-empty shape split into channels, layout fields that match the
 * format, codes inside qmin..qmax and integer scales inside M bits.
 * vsq_dequantize, the GEMMs and packing call it (the container writer
 * checks the same properties itself). */
vsq_status vsq_qtensor_check(const vsq_qtensor *q);

/* Rejects NaN/Inf: returns VSQ_ENONFINITE naming the first bad index and
 * `what` (e.g. a file or layer name). */
vsq_status vsq_check_finite(const float *x, size_t n, const char *what);

/* SQNR in dB of y as an approximation of x (n elements each):
 * 10 log10(sum x^2 / sum (x-y)^2); +INFINITY when y == x. */
vsq_status vsq_sqnr_db(const float *x, const float *y, size_t n, double *out);

/* Round to nearest, ties away from zero, exactly for every double: the
 * fraction v - trunc(v) is exact, so 0.49999999999999994 rounds to 0 (the
 * former (long)(v + 0.5) gave 1: the sum is inexact) and 2^52 + 1 stays
 * itself. Values beyond the range of long saturate; NaN gives 0. */
static inline long vsq_round(double v) {
    if (!(v == v)) return 0;
    if (v >= -(double)LONG_MIN) return LONG_MAX;
    if (v <= (double)LONG_MIN) return LONG_MIN;
    long t = (long)v; /* truncation toward zero, in range */
    double f = v - (double)t;
    return t + (f >= 0.5) - (f <= -0.5);
}

#ifdef __cplusplus
}
#endif
#endif
