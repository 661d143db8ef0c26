/* Quantize / dequantize / fake-quantize a rows x cols matrix in any format
 * (paper eq. 1-3 for single-level scales, eq. 7 for two-level). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "quant_internal.h"
#include "vsq/calib.h"

/* Blocks are tested without an early exit (the compiler vectorizes the
 * exponent test); only a block that fails is scanned for the index. */
vsq_status vsq_check_finite(const float *x, size_t n, const char *what) {
    for (size_t b = 0; b < n; b += 4096) {
        size_t e = n - b < 4096 ? n : b + 4096;
        uint32_t bad = 0;
        for (size_t i = b; i < e; i++) {
            uint32_t u;
            memcpy(&u, x + i, sizeof u);
            bad |= (u & 0x7f800000u) == 0x7f800000u; /* exponent all ones: Inf or NaN */
        }
        for (size_t i = b; bad && i < e; i++)
            if (!isfinite(x[i]))
                return vsq_error(VSQ_ENONFINITE, "%s: element %zu is %s", what ? what : "tensor",
                                 i, isnan(x[i]) ? "NaN" : "Inf");
    }
    return VSQ_OK;
}

void vsq_qtensor_free(vsq_qtensor *q) {
    if (!q) return;
    free(q->codes);
    free(q->scale);
    free(q->sq);
    free(q->gamma);
    memset(q, 0, sizeof *q);
}

/* Format, shape and sizes of a rows x cols quantization: everything that
 * is later divided by or multiplied into an allocation size. */
vsq_status vsq_check_shape(const vsq_format *fmt, size_t rows, size_t cols, size_t channels) {
    vsq_status st = vsq_format_check(fmt);
    if (st) return st;
    if (rows == 0 || cols == 0)
        return vsq_error(VSQ_EINVAL, "quantize: empty matrix (%zu x %zu)", rows, cols);
    if (channels == 0 || rows % channels != 0)
        return vsq_error(VSQ_EINVAL, "quantize: %zu rows do not split into %zu channels", rows,
                         channels);
    size_t n, bytes;
    if (vsq_mul_size(rows, cols, &n) || vsq_mul_size(n, sizeof(double), &bytes))
        return vsq_error(VSQ_EINVAL, "quantize: %zu x %zu elements overflow the size arithmetic",
                         rows, cols);
    return VSQ_OK;
}

vsq_status vsq_qtensor_alloc(const vsq_format *fmt, size_t rows, size_t cols, size_t channels,
                             vsq_qtensor *q) {
    memset(q, 0, sizeof *q);
    q->fmt = *fmt;
    q->rows = rows;
    q->cols = cols;
    q->channels = channels;
    q->vec_len = fmt->gran == VSQ_GRAN_VECTOR ? (size_t)fmt->vec_len : cols;
    q->n_vec = (cols + q->vec_len - 1) / q->vec_len;
    q->n_scale = fmt->gran == VSQ_GRAN_TENSOR    ? 1
                 : fmt->gran == VSQ_GRAN_CHANNEL ? channels
                                                 : rows * q->n_vec;
    q->codes = malloc(rows * cols * sizeof *q->codes);
    q->scale = calloc(q->n_scale, sizeof *q->scale);
    if (fmt->scale == VSQ_SCALE_TWO_LEVEL) {
        q->n_gamma = fmt->coarse_per_tensor ? 1 : channels;
        q->sq = calloc(rows * q->n_vec, sizeof *q->sq);
        q->gamma = calloc(q->n_gamma, sizeof *q->gamma);
    }
    if (!q->codes || !q->scale || (fmt->scale == VSQ_SCALE_TWO_LEVEL && (!q->sq || !q->gamma))) {
        vsq_qtensor_free(q);
        return vsq_error(VSQ_ENOMEM, "quantize: out of memory for %zu x %zu", rows, cols);
    }
    return VSQ_OK;
}

/* Single-level: one float scale per group, groups of contiguous elements. */
static void quantize_single_group(const vsq_format *fmt, const float *x, size_t n, float alpha,
                                  int16_t *codes, float *scale) {
    float s = vsq_single_scale(fmt, x, n, alpha); /* eq. 1 */
    vsq_quantize_run(x, n, s, vsq_format_qmin(fmt), vsq_format_qmax(fmt), codes); /* eq. 2 */
    *scale = s;
}

static void quantize_single(const vsq_qtensor *q, const float *x, const float *alpha,
                            int broadcast) {
    const vsq_format *fmt = &q->fmt;
    size_t rows = q->rows, cols = q->cols;
    if (fmt->gran == VSQ_GRAN_TENSOR) {
        quantize_single_group(fmt, x, rows * cols, alpha[0], q->codes, q->scale);
    } else if (fmt->gran == VSQ_GRAN_CHANNEL) {
        size_t per = rows / q->channels * cols;
        for (size_t c = 0; c < q->channels; c++)
            quantize_single_group(fmt, x + c * per, per, alpha[c], q->codes + c * per,
                                  q->scale + c);
    } else {
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < q->n_vec; j++) {
                size_t off = r * cols + j * q->vec_len;
                size_t len = off + q->vec_len <= (r + 1) * cols ? q->vec_len : (r + 1) * cols - off;
                float a = alpha[broadcast ? j : r * q->n_vec + j];
                quantize_single_group(fmt, x + off, len, a, q->codes + off,
                                      q->scale + r * q->n_vec + j);
            }
    }
}

static vsq_status quantize_two_level(vsq_qtensor *q, const float *x, const float *alpha,
                                     int broadcast) {
    size_t groups = q->n_gamma, rows_per = q->rows / groups;
    for (size_t g = 0; g < groups; g++) {
        size_t r0 = g * rows_per;
        const float *a = broadcast ? alpha : alpha + r0 * q->n_vec;
        float gamma = vsq_two_level_group(&q->fmt, x + r0 * q->cols, rows_per, q->cols, a,
                                          broadcast, q->codes + r0 * q->cols,
                                          q->sq + r0 * q->n_vec, q->scale + r0 * q->n_vec);
        if (gamma < 0.0f) return vsq_error(VSQ_ENOMEM, "quantize: out of memory");
        q->gamma[g] = gamma;
    }
    return VSQ_OK;
}

static vsq_status quantize_core(const vsq_format *fmt, const float *x, size_t rows, size_t cols,
                                size_t channels, const float *alpha, int broadcast,
                                vsq_qtensor *out) {
    vsq_status st = vsq_qtensor_alloc(fmt, rows, cols, channels, out);
    if (st) return st;
    if (fmt->scale == VSQ_SCALE_TWO_LEVEL) {
        st = quantize_two_level(out, x, alpha, broadcast);
        if (st) vsq_qtensor_free(out);
        return st;
    }
    quantize_single(out, x, alpha, broadcast);
    return VSQ_OK;
}

/* Clip value of every scale group, each from its own values. */
static vsq_status calibrate_groups(const vsq_format *fmt, const float *x, size_t rows,
                                   size_t cols, size_t channels, float **alpha_out,
                                   size_t *n_out) {
    size_t v = fmt->gran == VSQ_GRAN_VECTOR ? (size_t)fmt->vec_len : cols;
    size_t n_vec = (cols + v - 1) / v;
    size_t n = fmt->gran == VSQ_GRAN_TENSOR ? 1 : fmt->gran == VSQ_GRAN_CHANNEL ? channels
                                                                                  : rows * n_vec;
    float *alpha = malloc(n * sizeof *alpha);
    if (!alpha) return vsq_error(VSQ_ENOMEM, "quantize: out of memory");
    vsq_status st = VSQ_OK;
    if (fmt->gran == VSQ_GRAN_TENSOR) {
        st = vsq_calib_alpha(fmt, x, rows * cols, &alpha[0]);
    } else if (fmt->gran == VSQ_GRAN_CHANNEL) {
        size_t per = rows / channels * cols;
        for (size_t c = 0; c < channels && !st; c++)
            st = vsq_calib_alpha(fmt, x + c * per, per, &alpha[c]);
    } else {
        for (size_t r = 0; r < rows && !st; r++)
            for (size_t j = 0; j < n_vec && !st; j++) {
                size_t len = j * v + v <= cols ? v : cols - j * v;
                st = vsq_calib_alpha(fmt, x + r * cols + j * v, len, &alpha[r * n_vec + j]);
            }
    }
    if (st) {
        free(alpha);
        return st;
    }
    *alpha_out = alpha;
    *n_out = n;
    return VSQ_OK;
}

vsq_status vsq_quantize(const vsq_format *fmt, const float *x, size_t rows, size_t cols,
                        size_t channels, vsq_qtensor *out) {
    vsq_status st = vsq_check_shape(fmt, rows, cols, channels);
    if (st || (st = vsq_check_finite(x, rows * cols, "quantize input"))) return st;
    float *alpha = NULL;
    size_t n_alpha = 0;
    if ((st = calibrate_groups(fmt, x, rows, cols, channels, &alpha, &n_alpha))) return st;
    st = quantize_core(fmt, x, rows, cols, channels, alpha, 0, out);
    free(alpha);
    return st;
}

vsq_status vsq_quantize_with_alpha(const vsq_format *fmt, const float *x, size_t rows,
                                   size_t cols, size_t channels, const float *alpha,
                                   vsq_qtensor *out) {
    vsq_status st = vsq_check_shape(fmt, rows, cols, channels);
    if (st || (st = vsq_check_finite(x, rows * cols, "quantize input"))) return st;
    size_t v = fmt->gran == VSQ_GRAN_VECTOR ? (size_t)fmt->vec_len : cols;
    size_t n_alpha = fmt->gran == VSQ_GRAN_TENSOR ? 1 : fmt->gran == VSQ_GRAN_CHANNEL
                                                            ? channels
                                                            : (cols + v - 1) / v;
    for (size_t i = 0; i < n_alpha; i++)
        if (!isfinite(alpha[i]) || alpha[i] < 0.0f)
            return vsq_error(VSQ_EINVAL, "quantize: clip value %zu is %g (must be finite, >= 0)",
                             i, alpha[i]);
    return quantize_core(fmt, x, rows, cols, channels, alpha, 1, out);
}

/* Effective scale of element (r, c); see vsq/quant.h. */
static float element_scale(const vsq_qtensor *q, size_t r, size_t c) {
    switch (q->fmt.gran) {
    case VSQ_GRAN_TENSOR: return q->scale[0];
    case VSQ_GRAN_CHANNEL: return q->scale[r / (q->rows / q->channels)];
    default: return q->scale[r * q->n_vec + c / q->vec_len];
    }
}

/* Layout fields of a quantized tensor against its format and shape. */
static vsq_status check_layout(const vsq_qtensor *q) {
    const vsq_format *f = &q->fmt;
    size_t v = f->gran == VSQ_GRAN_VECTOR ? (size_t)f->vec_len : q->cols;
    if (q->vec_len != v || q->n_vec != (q->cols + v - 1) / v)
        return vsq_error(VSQ_EINVAL, "qtensor: vec_len %zu / n_vec %zu do not match the format",
                         q->vec_len, q->n_vec);
    if (f->scale == VSQ_SCALE_TWO_LEVEL &&
        (!q->sq || !q->gamma || q->n_gamma != (f->coarse_per_tensor ? 1 : q->channels)))
        return vsq_error(VSQ_EINVAL, "qtensor: two-level scales sq/gamma missing or mis-sized");
    if (!q->scale) return VSQ_OK; /* two-level without effective scales (checked above) */
    size_t n_scale = f->gran == VSQ_GRAN_TENSOR ? 1 : f->gran == VSQ_GRAN_CHANNEL ? q->channels
                                                                                  : q->rows * q->n_vec;
    if (q->n_scale != n_scale)
        return vsq_error(VSQ_EINVAL, "qtensor: %zu scales, the format needs %zu", q->n_scale, n_scale);
    return VSQ_OK;
}

/* Codes and integer scales inside the ranges of the format. */
static vsq_status check_values(const vsq_qtensor *q) {
    int qmin = vsq_format_qmin(&q->fmt), qmax = vsq_format_qmax(&q->fmt);
    size_t n = q->rows * q->cols;
    for (size_t i = 0; i < n; i++)
        if (q->codes[i] < qmin || q->codes[i] > qmax)
            return vsq_error(VSQ_EINVAL, "qtensor: code %d at %zu outside %d..%d", q->codes[i], i,
                             qmin, qmax);
    if (q->fmt.scale == VSQ_SCALE_TWO_LEVEL) {
        unsigned smax = (1u << q->fmt.scale_bits) - 1;
        for (size_t i = 0; i < q->rows * q->n_vec; i++)
            if (q->sq[i] > smax)
                return vsq_error(VSQ_EINVAL, "qtensor: integer scale %u at %zu exceeds %u bits",
                                 q->sq[i], i, q->fmt.scale_bits);
    }
    return VSQ_OK;
}

vsq_status vsq_qtensor_check(const vsq_qtensor *q) {
    if (!q || !q->codes) return vsq_error(VSQ_EINVAL, "qtensor: null pointer");
    /* two-level integer arithmetic needs only sq and gamma */
    if (!q->scale && q->fmt.scale != VSQ_SCALE_TWO_LEVEL)
        return vsq_error(VSQ_EINVAL, "qtensor: null scales");
    vsq_status st = vsq_check_shape(&q->fmt, q->rows, q->cols, q->channels);
    if (!st) st = check_layout(q);
    if (!st) st = check_values(q);
    return st;
}

static void dequantize_unchecked(const vsq_qtensor *q, float *y) {
    for (size_t r = 0; r < q->rows; r++)
        for (size_t c = 0; c < q->cols; c++)
            y[r * q->cols + c] = (float)q->codes[r * q->cols + c] * element_scale(q, r, c);
}

vsq_status vsq_dequantize(const vsq_qtensor *q, float *y) {
    if (!q || !y || !q->scale) return vsq_error(VSQ_EINVAL, "dequantize: null argument");
    vsq_status st = vsq_qtensor_check(q);
    if (st) return st;
    dequantize_unchecked(q, y);
    return VSQ_OK;
}

vsq_status vsq_fakequant(const vsq_format *fmt, const float *x, size_t rows, size_t cols,
                         size_t channels, float *y) {
    vsq_qtensor q;
    vsq_status st = vsq_quantize(fmt, x, rows, cols, channels, &q);
    if (st) return st;
    dequantize_unchecked(&q, y); /* our own output: no need to re-check it */
    vsq_qtensor_free(&q);
    return VSQ_OK;
}
