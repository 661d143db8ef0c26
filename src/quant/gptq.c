/* Error-compensating rounding for weights (GPTQ: Frantar et al., "GPTQ:
 * Accurate Post-Training Quantization for Generative Pre-trained
 * Transformers", ICLR 2023), for every vsq format.
 *
 * A layer computes y = W x. Rounding W to Q changes the outputs on the
 * calibration inputs X by (W - Q) X^T; its squared norm is
 * tr((W-Q) H (W-Q)^T) with H = X^T X. GPTQ quantizes the columns of W
 * (input features) in order and, after each column, moves that column's
 * rounding error onto the columns not yet quantized, weighted by the
 * Cholesky factor of H^-1, so later columns compensate for it.
 *
 * Scales: per-vector scales (vV) are chosen when their vector's first
 * column is reached, from the weights as updated so far; per-tensor and
 * per-channel scales, and the coarse gamma of two-level formats, come
 * from the original weights. Two-level integer scales are chosen as in the
 * refined variant (elements are always rounded against the quantized
 * scale, which the error feedback needs). With H = I nothing is fed back
 * and the result equals vsq_quantize (refined variant for sM). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "quant_internal.h"
#include "vsq/calib.h"

/* In-place Cholesky factor (lower) of a symmetric positive definite k x k
 * matrix; returns -1 if it is not positive definite. */
static int cholesky_lower(double *a, size_t k) {
    for (size_t j = 0; j < k; j++) {
        double d = a[j * k + j];
        for (size_t t = 0; t < j; t++) d -= a[j * k + t] * a[j * k + t];
        if (!(d > 0.0)) return -1;
        d = sqrt(d);
        a[j * k + j] = d;
        for (size_t i = j + 1; i < k; i++) {
            double s = a[i * k + j];
            for (size_t t = 0; t < j; t++) s -= a[i * k + t] * a[j * k + t];
            a[i * k + j] = s / d;
        }
        for (size_t t = j + 1; t < k; t++) a[j * k + t] = 0.0;
    }
    return 0;
}

/* H^-1 from its lower Cholesky factor L (H = L L^T): H^-1 = L^-T L^-1. */
static void inverse_from_cholesky(const double *l, size_t k, double *inv) {
    double *li = calloc(k * k, sizeof *li); /* L^-1, lower triangular */
    for (size_t j = 0; j < k; j++) {
        li[j * k + j] = 1.0 / l[j * k + j];
        for (size_t i = j + 1; i < k; i++) {
            double s = 0.0;
            for (size_t t = j; t < i; t++) s += l[i * k + t] * li[t * k + j];
            li[i * k + j] = -s / l[i * k + i];
        }
    }
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j <= i; j++) {
            double s = 0.0;
            for (size_t t = i; t < k; t++) s += li[t * k + i] * li[t * k + j];
            inv[i * k + j] = inv[j * k + i] = s;
        }
    free(li);
}

/* Upper factor U with H^-1 = U^T U (the feedback weights), after damping
 * the diagonal and neutralising inputs that never fire. */
static vsq_status feedback_factor(const double *h, size_t k, double damp, double *w, size_t rows,
                                  double *u) {
    double *a = malloc(k * k * sizeof *a);
    if (!a) return vsq_error(VSQ_ENOMEM, "gptq: out of memory for a %zu x %zu Hessian", k, k);
    memcpy(a, h, k * k * sizeof *a);
    double mean_diag = 0.0;
    for (size_t i = 0; i < k; i++) mean_diag += a[i * k + i] / (double)k;
    for (size_t i = 0; i < k; i++) {
        if (!(a[i * k + i] > 0.0)) { /* dead input: its weights do not matter */
            a[i * k + i] = 1.0;
            for (size_t r = 0; r < rows; r++) w[r * k + i] = 0.0;
        }
        a[i * k + i] += damp * (mean_diag > 0.0 ? mean_diag : 1.0);
    }
    vsq_status st = VSQ_OK;
    if (cholesky_lower(a, k)) {
        st = vsq_error(VSQ_EINVAL, "gptq: Hessian is not positive definite (raise the damping)");
    } else {
        inverse_from_cholesky(a, k, u);
        if (cholesky_lower(u, k))
            st = vsq_error(VSQ_EINVAL, "gptq: inverse Hessian is not positive definite");
        else /* transpose lower -> upper */
            for (size_t i = 0; i < k; i++)
                for (size_t j = i + 1; j < k; j++) {
                    u[i * k + j] = u[j * k + i];
                    u[j * k + i] = 0.0;
                }
    }
    free(a);
    return st;
}

typedef struct {
    const vsq_format *fmt;
    vsq_qtensor *q;
    double *w;      /* rows x cols, updated in place */
    float *tmp;     /* one vector */
    int16_t *qtmp;
    int qmin, qmax;
} gptq_state;

/* Scales of vector g of every row, from the current weights. */
static vsq_status choose_vector_scales(gptq_state *s, size_t g) {
    vsq_qtensor *q = s->q;
    size_t v = q->vec_len, off = g * v, len = off + v <= q->cols ? v : q->cols - off;
    for (size_t r = 0; r < q->rows; r++) {
        for (size_t i = 0; i < len; i++) s->tmp[i] = (float)s->w[r * q->cols + off + i];
        float alpha;
        vsq_status st = vsq_calib_alpha(s->fmt, s->tmp, len, &alpha);
        if (st) return st;
        size_t idx = r * q->n_vec + g;
        if (s->fmt->scale != VSQ_SCALE_TWO_LEVEL) {
            q->scale[idx] = vsq_single_scale(s->fmt, s->tmp, len, alpha);
            continue;
        }
        float gamma = q->gamma[s->fmt->coarse_per_tensor ? 0 : r / (q->rows / q->channels)];
        float sv = alpha / (float)vsq_group_qref(s->fmt, s->tmp, len);
        q->sq[idx] = vsq_two_level_refined_code(s->tmp, len, sv, gamma, s->fmt->scale_bits,
                                                s->qmin, s->qmax, s->qtmp);
        q->scale[idx] = (float)q->sq[idx] * gamma;
    }
    return VSQ_OK;
}

/* Coarse scales from the original weights: pt/pc scales, or two-level gamma. */
static vsq_status choose_coarse_scales(const vsq_format *fmt, const float *w, vsq_qtensor *q) {
    vsq_qtensor ref;
    vsq_status st = vsq_quantize(fmt, w, q->rows, q->cols, q->channels, &ref);
    if (st) return st;
    if (fmt->gran != VSQ_GRAN_VECTOR) memcpy(q->scale, ref.scale, q->n_scale * sizeof *q->scale);
    if (q->gamma) memcpy(q->gamma, ref.gamma, q->n_gamma * sizeof *q->gamma);
    vsq_qtensor_free(&ref);
    return VSQ_OK;
}

static float row_scale(const vsq_qtensor *q, size_t r, size_t c) {
    if (q->fmt.gran == VSQ_GRAN_TENSOR) return q->scale[0];
    if (q->fmt.gran == VSQ_GRAN_CHANNEL) return q->scale[r / (q->rows / q->channels)];
    return q->scale[r * q->n_vec + c / q->vec_len];
}

/* Quantize column c of every row and feed its error forward (GPTQ step). */
static void quantize_column(gptq_state *s, const double *u, size_t c) {
    vsq_qtensor *q = s->q;
    size_t k = q->cols;
    for (size_t r = 0; r < q->rows; r++) {
        double *wr = s->w + r * k;
        float sc = row_scale(q, r, c);
        int16_t code = vsq_quantize_value((float)wr[c], sc, s->qmin, s->qmax);
        q->codes[r * k + c] = code;
        double err = (wr[c] - (double)code * sc) / u[c * k + c];
        for (size_t t = c + 1; t < k; t++) wr[t] -= err * u[c * k + t];
    }
}

vsq_status vsq_quantize_gptq(const vsq_format *fmt, const float *w, size_t rows, size_t cols,
                             size_t channels, const double *h, double damp, vsq_qtensor *out) {
    if (!fmt || !w || !h || !out) return vsq_error(VSQ_EINVAL, "gptq: null argument");
    vsq_status st0 = vsq_check_shape(fmt, rows, cols, channels);
    size_t hn;
    if (st0) return st0;
    if (vsq_mul_size(cols, cols, &hn) || hn > SIZE_MAX / sizeof(double))
        return vsq_error(VSQ_EINVAL, "gptq: a %zu x %zu Hessian overflows the size arithmetic", cols, cols);
    if (!(damp >= 0.0) || damp > 1.0) return vsq_error(VSQ_EINVAL, "gptq: damping %g not in 0..1", damp);
    vsq_status st = vsq_check_finite(w, rows * cols, "gptq weights");
    for (size_t i = 0; i < cols * cols && !st; i++)
        if (!isfinite(h[i])) st = vsq_error(VSQ_ENONFINITE, "gptq Hessian: element %zu is not finite", i);
    if (st || (st = vsq_qtensor_alloc(fmt, rows, cols, channels, out))) return st;
    gptq_state s = {fmt, out, malloc(rows * cols * sizeof(double)),
                    malloc(out->vec_len * sizeof(float)), malloc(out->vec_len * sizeof(int16_t)),
                    vsq_format_qmin(fmt), vsq_format_qmax(fmt)};
    double *u = malloc(cols * cols * sizeof *u);
    if (!s.w || !s.tmp || !s.qtmp || !u) st = vsq_error(VSQ_ENOMEM, "gptq: out of memory");
    for (size_t i = 0; !st && i < rows * cols; i++) s.w[i] = w[i];
    if (!st) st = feedback_factor(h, cols, damp, s.w, rows, u);
    if (!st) st = choose_coarse_scales(fmt, w, out);
    for (size_t c = 0; !st && c < cols; c++) {
        if (fmt->gran == VSQ_GRAN_VECTOR && c % out->vec_len == 0)
            st = choose_vector_scales(&s, c / out->vec_len);
        if (!st) quantize_column(&s, u, c);
    }
    free(s.w);
    free(s.tmp);
    free(s.qtmp);
    free(u);
    if (st) vsq_qtensor_free(out);
    return st;
}
