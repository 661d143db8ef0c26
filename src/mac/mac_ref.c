/* Bit-accurate reference of the VS-Quant vector MAC (paper 4.2 eq. 5, 5 and
 * Fig. 2b) and the GEMM built on it. This is the oracle for every fast
 * kernel and for the hardware PE model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsq/mac.h"

int32_t vsq_mac_dot(const int16_t *wq, const int16_t *aq, size_t v) {
    int32_t sum = 0;
    for (size_t i = 0; i < v; i++) sum += (int32_t)wq[i] * (int32_t)aq[i];
    return sum;
}

uint32_t vsq_mac_scale_product(uint32_t sw, uint32_t sa, int mw, int ma, int round_bits,
                               int *shift) {
    uint64_t p = (uint64_t)sw * (uint64_t)sa; /* Mw + Ma bits */
    int drop = (round_bits > 0 && round_bits < mw + ma) ? mw + ma - round_bits : 0;
    if (shift) *shift = drop;
    if (drop == 0) return (uint32_t)p;
    /* Keep the R most significant bits of the full-width product: round to
     * nearest, ties away from zero (the product is non-negative). */
    return (uint32_t)((p + (1ull << (drop - 1))) >> drop);
}

static int ceil_log2(size_t v) {
    int b = 0;
    while (((size_t)1 << b) < v) b++;
    return b;
}

int vsq_mac_acc_bits(int nw, int na, int mw, int ma, size_t v, size_t k) {
    size_t n_vec = v ? (k + v - 1) / v : 0;
    /* products: nw + na bits signed; sum of v: + log2 v; scale product:
     * + mw + ma; sum over the vectors of a K-long reduction: + log2(K/V). */
    return nw + na + ceil_log2(v) + mw + ma + ceil_log2(n_vec ? n_vec : 1);
}

/* How one operand contributes per vector: an integer scale (two-level, or 1
 * for coarse formats) and a float factor per row, or a float scale per
 * vector (single-level per-vector formats). */
typedef struct {
    const vsq_qtensor *q;
    int integer;    /* 1: integer scale per vector x float factor per row */
    int scale_bits; /* M of the integer scale (0 for coarse) */
} operand;

static operand make_operand(const vsq_qtensor *q) {
    operand o = {q, 1, 0};
    if (q->fmt.scale == VSQ_SCALE_TWO_LEVEL) o.scale_bits = q->fmt.scale_bits;
    else if (q->fmt.gran == VSQ_GRAN_VECTOR) o.integer = 0;
    return o;
}

static size_t channel_of(const vsq_qtensor *q, size_t r) { return r / (q->rows / q->channels); }

/* Integer per-vector scale of row r, vector j (1 for coarse formats). */
static uint32_t int_scale(const operand *o, size_t r, size_t j) {
    return o->q->sq ? o->q->sq[r * o->q->n_vec + j] : 1u;
}

/* Float factor of row r applied after integer accumulation. */
static double row_factor(const operand *o, size_t r) {
    const vsq_qtensor *q = o->q;
    if (q->gamma) return q->gamma[q->fmt.coarse_per_tensor ? 0 : channel_of(q, r)];
    if (q->fmt.gran == VSQ_GRAN_TENSOR) return q->scale[0];
    return q->scale[channel_of(q, r)];
}

/* Float scale of row r at element column c (any format). */
static double elem_scale(const vsq_qtensor *q, size_t r, size_t c) {
    if (q->fmt.gran == VSQ_GRAN_TENSOR) return q->scale[0];
    if (q->fmt.gran == VSQ_GRAN_CHANNEL) return q->scale[channel_of(q, r)];
    return q->scale[r * q->n_vec + c / q->vec_len];
}

/* Prefix the operand's name to the message vsq_qtensor_check left. */
static vsq_status operand_error(vsq_status st, const char *which) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", vsq_last_error());
    return vsq_error(st, "gemm %s: %s", which, msg);
}

static vsq_status check_pair(const vsq_qtensor *a, const vsq_qtensor *w, size_t *v) {
    if (!a || !w || !a->codes || !w->codes) return vsq_error(VSQ_EINVAL, "gemm: null operand");
    vsq_status st;
    if ((st = vsq_qtensor_check(a))) return operand_error(st, "activations");
    if ((st = vsq_qtensor_check(w))) return operand_error(st, "weights");
    if (a->cols != w->cols)
        return vsq_error(VSQ_EINVAL, "gemm: activations have K=%zu but weights K=%zu", a->cols,
                         w->cols);
    int av = a->fmt.gran == VSQ_GRAN_VECTOR, wv = w->fmt.gran == VSQ_GRAN_VECTOR;
    if (av && wv && a->vec_len != w->vec_len)
        return vsq_error(VSQ_EINVAL, "gemm: vector lengths differ (activations %zu, weights %zu)",
                         a->vec_len, w->vec_len);
    *v = av ? a->vec_len : wv ? w->vec_len : a->cols;
    return VSQ_OK;
}

/* Both operands integer-scaled: exact int64 accumulation of
 * dot * (s_w * s_a) (eq. 5), then the coarse float factors. */
static void gemm_integer(const operand *oa, const operand *ow, size_t v, int round_bits,
                         float *y, int64_t *acc) {
    const vsq_qtensor *a = oa->q, *w = ow->q;
    size_t k = a->cols, n_vec = (k + v - 1) / v;
    for (size_t m = 0; m < a->rows; m++) {
        for (size_t n = 0; n < w->rows; n++) {
            int64_t sum = 0;
            int shift = 0;
            for (size_t j = 0; j < n_vec; j++) {
                size_t off = j * v, len = off + v <= k ? v : k - off;
                int32_t dot = vsq_mac_dot(w->codes + n * k + off, a->codes + m * k + off, len);
                uint32_t sp = vsq_mac_scale_product(int_scale(ow, n, j), int_scale(oa, m, j),
                                                    ow->scale_bits, oa->scale_bits, round_bits,
                                                    &shift);
                sum += (int64_t)dot * (int64_t)sp;
            }
            if (acc) acc[m * w->rows + n] = sum;
            double f = row_factor(oa, m) * row_factor(ow, n) * ldexp(1.0, shift);
            y[m * w->rows + n] = (float)((double)sum * f);
        }
    }
}

/* A single-level per-vector operand: per-vector float scale products. */
static void gemm_float_scaled(const vsq_qtensor *a, const vsq_qtensor *w, size_t v, float *y) {
    size_t k = a->cols, n_vec = (k + v - 1) / v;
    for (size_t m = 0; m < a->rows; m++) {
        for (size_t n = 0; n < w->rows; n++) {
            double sum = 0.0;
            for (size_t j = 0; j < n_vec; j++) {
                size_t off = j * v, len = off + v <= k ? v : k - off;
                int32_t dot = vsq_mac_dot(w->codes + n * k + off, a->codes + m * k + off, len);
                sum += (double)dot * elem_scale(a, m, off) * elem_scale(w, n, off);
            }
            y[m * w->rows + n] = (float)sum;
        }
    }
}

/* Signed bits of an element code: intN and intNf fit N, uintN needs N + 1. */
static int code_bits(const vsq_format *f) { return f->bits + (f->elem == VSQ_ELEM_UINT); }

/* The integer path sums dot * scale product in int64: reject shapes whose
 * bound (vsq_mac_acc_bits, paper 5) exceeds 64 bits instead of letting the
 * sum overflow. A rounded scale product keeps round_bits bits. */
static vsq_status check_accumulator(const operand *oa, const operand *ow, size_t v, int round_bits) {
    int mw = ow->scale_bits, ma = oa->scale_bits;
    if (round_bits > 0 && round_bits < mw + ma) mw = round_bits, ma = 0;
    size_t k = oa->q->cols;
    int bits = vsq_mac_acc_bits(code_bits(&ow->q->fmt), code_bits(&oa->q->fmt), mw, ma, v, k);
    if (bits > 64)
        return vsq_error(VSQ_EUNSUPPORTED,
                         "gemm: the accumulator would need %d bits (codes %d x %d bits, V = %zu, "
                         "scale product %d bits, K = %zu): more than int64 holds",
                         bits, ow->q->fmt.bits, oa->q->fmt.bits, v, mw + ma, k);
    return VSQ_OK;
}

vsq_status vsq_gemm_ref(const vsq_qtensor *a, const vsq_qtensor *w, int round_bits, float *y,
                        int64_t *acc) {
    size_t v = 0;
    vsq_status st = check_pair(a, w, &v);
    if (st) return st;
    if (!y) return vsq_error(VSQ_EINVAL, "gemm: null output");
    if (round_bits < 0 || round_bits > 32)
        return vsq_error(VSQ_EINVAL, "gemm: scale product rounding %d out of 0..32", round_bits);
    operand oa = make_operand(a), ow = make_operand(w);
    if (oa.integer && ow.integer && (st = check_accumulator(&oa, &ow, v, round_bits))) return st;
    if (oa.integer && ow.integer) {
        gemm_integer(&oa, &ow, v, round_bits, y, acc);
    } else {
        if (acc) memset(acc, 0, a->rows * w->rows * sizeof *acc);
        gemm_float_scaled(a, w, v, y);
    }
    return VSQ_OK;
}
