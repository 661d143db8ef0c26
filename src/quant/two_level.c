/* Two-level scaling (paper 4.4, eq. 7a-7j): an M-bit unsigned integer scale
 * per vector times one fp32 scale per coarse group (channel or tensor).
 *
 * paper         eq. 7 exactly: elements are rounded with the float
 *               per-vector scale s (7c), then s is quantized to M bits
 *               against gamma = max s / (2^M - 1) (7e-7g). A vector whose
 *               s rounds to 0 is zeroed, as the paper's algorithm does.
 * refined       same gamma; each vector takes the better of floor/ceil of
 *               s/gamma (never 0 for a non-zero vector) and its elements are
 *               re-rounded against the quantized scale s_q * gamma.
 * coarse-first  the paper's alternative (4.4, last paragraph): gamma first,
 *               then each vector's integer scale is back-calculated by
 *               searching the codes up to ceil(s/gamma) for the least error. */
#include <math.h>
#include <stdlib.h>

#include "quant_internal.h"

typedef struct {
    const float *x; /* first element of the vector */
    size_t len;
    float s;        /* single-level float scale of the vector (eq. 7b) */
} vec_ref;

/* Integer scale with the least squared error among [lo, hi]; codes of the
 * winner are written to q. */
static uint16_t search_scale_code(const vec_ref *v, float gamma, long lo, long hi, int qmin,
                                  int qmax, int16_t *q) {
    int16_t tmp[VSQ_MAX_VEC_LEN]; /* len <= V <= VSQ_MAX_VEC_LEN (vsq_format_check) */
    double best_err = INFINITY;
    long best = lo;
    long span = hi - lo + 1, step = span > 64 ? span / 64 : 1;
    for (long c = hi; c >= lo; c -= step) {
        double err = vsq_quantize_run(v->x, v->len, (float)c * gamma, qmin, qmax, tmp);
        if (err < best_err) {
            best_err = err;
            best = c;
        }
    }
    vsq_quantize_run(v->x, v->len, (float)best * gamma, qmin, qmax, q);
    return (uint16_t)best;
}

static uint16_t scale_code(const vsq_format *fmt, const vec_ref *v, float gamma, long smax_code,
                           int qmin, int qmax, int16_t *q) {
    float ratio = v->s / gamma;
    if (fmt->variant == VSQ_TWOLEVEL_PAPER) {
        long c = lroundf(ratio); /* eq. 7g */
        if (c > smax_code) c = smax_code;
        vsq_quantize_run(v->x, v->len, v->s, qmin, qmax, q); /* eq. 7c */
        return (uint16_t)c;
    }
    long hi = (long)ceilf(ratio);
    if (hi < 1) hi = 1;
    if (hi > smax_code) hi = smax_code;
    long lo = fmt->variant == VSQ_TWOLEVEL_REFINED ? (long)floorf(ratio) : hi / 2;
    if (lo < 1) lo = 1;
    if (lo > hi) lo = hi;
    return search_scale_code(v, gamma, lo, hi, qmin, qmax, q);
}

uint16_t vsq_two_level_refined_code(const float *x, size_t len, float s, float gamma,
                                    int scale_bits, int qmin, int qmax, int16_t *q) {
    vec_ref v = {x, len, s};
    vsq_format refined = {0};
    refined.variant = VSQ_TWOLEVEL_REFINED;
    if (!(s > 0.0f && gamma > 0.0f)) {
        for (size_t i = 0; i < len; i++) q[i] = 0;
        return 0;
    }
    return scale_code(&refined, &v, gamma, (1L << scale_bits) - 1, qmin, qmax, q);
}

float vsq_two_level_group(const vsq_format *fmt, const float *x, size_t rows, size_t cols,
                          const float *alpha_vec, int alpha_broadcast, int16_t *codes,
                          uint16_t *sq, float *scale) {
    size_t v_len = (size_t)fmt->vec_len, n_vec = (cols + v_len - 1) / v_len;
    int qmin = vsq_format_qmin(fmt), qmax = vsq_format_qmax(fmt);
    long smax_code = (1L << fmt->scale_bits) - 1;

    /* eq. 7a-7b: per-vector float scales, and their maximum (7e). */
    float smax = 0.0f;
    float *s = malloc(rows * n_vec * sizeof *s);
    if (!s) return -1.0f;
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < n_vec; j++) {
            const float *xv = x + r * cols + j * v_len;
            size_t len = j * v_len + v_len <= cols ? v_len : cols - j * v_len;
            float alpha = alpha_vec[alpha_broadcast ? j : r * n_vec + j];
            float sv = alpha / (float)vsq_group_qref(fmt, xv, len);
            s[r * n_vec + j] = sv;
            if (sv > smax) smax = sv;
        }
    }
    float gamma = smax / (float)smax_code; /* eq. 7f */

    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < n_vec; j++) {
            size_t idx = r * n_vec + j, off = r * cols + j * v_len;
            size_t len = j * v_len + v_len <= cols ? v_len : cols - j * v_len;
            vec_ref v = {x + off, len, s[idx]};
            uint16_t c = 0;
            if (v.s > 0.0f && gamma > 0.0f)
                c = scale_code(fmt, &v, gamma, smax_code, qmin, qmax, codes + off);
            else
                for (size_t i = 0; i < len; i++) codes[off + i] = 0;
            sq[idx] = c;
            scale[idx] = (float)c * gamma; /* eq. 7h */
        }
    }
    free(s);
    return gamma;
}
