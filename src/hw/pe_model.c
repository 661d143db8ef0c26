/* hw/pe_model.c - bit-accurate, cycle-free model of the VS-Quant PE (paper
 * 5, Fig. 2): vector MAC lanes (dot product + scale product + scaled partial
 * sum, Fig. 2b), the accumulation collector at a fixed width with an
 * overflow check, and the post-processing unit that requantizes output
 * activations per vector with integer operations only (Fig. 2c). The MAC
 * arithmetic reuses vsq_mac_dot / vsq_mac_scale_product (vsq/mac.h), so the
 * model and the library GEMM share one definition of eq. 5.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hw/hw.h"

/* Bits of a signed two's complement integer holding -mag..mag. */
static int signed_bits(uint64_t mag) {
    int b = 1;
    while (b < 64 && (mag >> (b - 1)) != 0) b++;
    return b;
}

static uint64_t code_mag(const vsq_format *f) {
    long lo = vsq_format_qmin(f), hi = vsq_format_qmax(f);
    return (uint64_t)(-lo > hi ? -lo : hi);
}

/* Integer per-vector scale bits of an operand: M for two-level, else 0
 * (coarse scales are applied in the PPU, the lane sees s_q = 1). */
static int int_scale_bits(const vsq_format *f) {
    return f->scale == VSQ_SCALE_TWO_LEVEL ? f->scale_bits : 0;
}

int vsq_pe_acc_bits(const vsq_format *wf, const vsq_format *af, int v, size_t k,
                    int round_bits) {
    int mw = int_scale_bits(wf), ma = int_scale_bits(af), shift = 0;
    uint32_t smax_w = mw ? (1u << mw) - 1 : 1, smax_a = ma ? (1u << ma) - 1 : 1;
    /* the rounded product is monotone in its inputs: the extremes bound it */
    uint64_t sp = vsq_mac_scale_product(smax_w, smax_a, mw, ma, round_bits, &shift);
    uint64_t dot = (uint64_t)v * code_mag(wf) * code_mag(af); /* 2N + log2 V */
    uint64_t n_vec = v > 0 ? (k + (size_t)v - 1) / (size_t)v : 0;
    double worst = (double)dot * (double)sp * (double)n_vec;
    if (worst >= 9.2e18) return 64;
    return signed_bits(dot * sp * n_vec);
}

/* Accumulation collector: add at `bits` width; count and saturate or wrap
 * when the exact sum leaves the representable range. */
static int64_t collect(int64_t acc, int64_t psum, int bits, int saturate, size_t *overflows) {
    int64_t sum = acc + psum; /* exact: |acc|, |psum| < 2^62 by construction */
    if (bits >= 64) return sum;
    int64_t hi = (int64_t)((1ull << (bits - 1)) - 1), lo = -hi - 1;
    if (sum >= lo && sum <= hi) return sum;
    (*overflows)++;
    if (saturate) return sum > hi ? hi : lo;
    uint64_t m = (1ull << bits) - 1, u = (uint64_t)sum & m; /* wrap */
    return (u >> (bits - 1)) ? (int64_t)(u | ~m) : (int64_t)u;
}

static uint32_t lane_scale(const vsq_qtensor *q, size_t r, size_t j) {
    return q->sq ? q->sq[r * q->n_vec + j] : 1u;
}

/* Coarse factor of row r, applied by the PPU after accumulation. */
static double coarse(const vsq_qtensor *q, size_t r) {
    size_t ch = r / (q->rows / q->channels);
    if (q->gamma) return q->gamma[q->fmt.coarse_per_tensor ? 0 : ch];
    return q->fmt.gran == VSQ_GRAN_TENSOR ? q->scale[0] : q->scale[ch];
}

static int lane_ok(const vsq_qtensor *q) {
    return q->fmt.scale == VSQ_SCALE_TWO_LEVEL || q->fmt.gran != VSQ_GRAN_VECTOR;
}

vsq_status vsq_pe_gemm(const vsq_qtensor *a, const vsq_qtensor *w, vsq_pe_opts *opts,
                       int64_t *acc, float *y) {
    if (!a || !w || !opts || !a->codes || !w->codes)
        return vsq_error(VSQ_EINVAL, "pe: null operand");
    if (a->cols != w->cols)
        return vsq_error(VSQ_EINVAL, "pe: K differs (activations %zu, weights %zu)", a->cols,
                         w->cols);
    if (!lane_ok(a) || !lane_ok(w))
        return vsq_error(VSQ_EUNSUPPORTED,
                         "pe: per-vector float scales are not a PE format (use two-level sM)");
    int av = a->fmt.gran == VSQ_GRAN_VECTOR, wv = w->fmt.gran == VSQ_GRAN_VECTOR;
    if (av && wv && a->vec_len != w->vec_len)
        return vsq_error(VSQ_EINVAL, "pe: vector lengths differ");
    size_t k = a->cols, v = av ? a->vec_len : wv ? w->vec_len : 16;
    size_t n_vec = (k + v - 1) / v;
    int mw = int_scale_bits(&w->fmt), ma = int_scale_bits(&a->fmt);
    if (opts->acc_bits <= 0)
        opts->acc_bits = vsq_pe_acc_bits(&w->fmt, &a->fmt, (int)v, k, opts->round_bits);
    if (opts->acc_bits < 2 || opts->acc_bits > 64)
        return vsq_error(VSQ_EINVAL, "pe: accumulator width %d not in 2..64", opts->acc_bits);
    opts->overflows = opts->n_vmac = opts->n_gated = 0;
    for (size_t m = 0; m < a->rows; m++) {
        for (size_t n = 0; n < w->rows; n++) {
            int64_t sum = 0;
            int shift = 0;
            for (size_t j = 0; j < n_vec; j++) { /* one vector MAC per step */
                size_t off = j * v, len = off + v <= k ? v : k - off;
                int32_t dot = vsq_mac_dot(w->codes + n * k + off, a->codes + m * k + off, len);
                uint32_t sp = vsq_mac_scale_product(lane_scale(w, n, j), lane_scale(a, m, j), mw,
                                                    ma, opts->round_bits, &shift);
                opts->n_vmac++;
                if (sp == 0) { /* data gating (paper 5): nothing to accumulate */
                    opts->n_gated++;
                    continue;
                }
                sum = collect(sum, (int64_t)dot * (int64_t)sp, opts->acc_bits, opts->saturate,
                              &opts->overflows);
            }
            opts->shift = shift;
            if (acc) acc[m * w->rows + n] = sum;
            if (y) y[m * w->rows + n] = (float)((double)sum * coarse(a, m) * coarse(w, n) *
                                                ldexp(1.0, shift));
        }
    }
    return VSQ_OK;
}

/* ---- post-processing unit (Fig. 2c) ---- */

static uint64_t mag64(int64_t x) { return x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x; }

/* Vector max unit: max |x| (eq. 7a). */
static uint64_t vector_max(const int64_t *x, size_t n) {
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (mag64(x[i]) > m) m = mag64(x[i]);
    return m;
}

static int bit_len(uint64_t x) {
    int b = 0;
    while (b < 64 && (x >> b) != 0) b++;
    return b;
}

/* Reciprocal unit: normalise d (leading-one detect), take a P-bit
 * reciprocal of the mantissa, rounded up; returned as ceil(2^f / d) with
 * f = P + bits(d). Rounding up makes exact ties of eq. 7c round away. */
static unsigned __int128 reciprocal(uint64_t d, int p, int *f) {
    *f = p + bit_len(d);
    unsigned __int128 one = ((unsigned __int128)1) << *f;
    return (one + d - 1) / d;
}

/* Multiply by the reciprocal and shift, rounding half up (magnitudes):
 * round(mag * num / d) = (mag * num * rcp + 2^(f-1)) >> f. */
static uint64_t mul_shift(uint64_t mag, uint64_t num, unsigned __int128 rcp, int f) {
    unsigned __int128 prod = (unsigned __int128)mag * num * rcp;
    return (uint64_t)((prod + (((unsigned __int128)1) << (f - 1))) >> f);
}

vsq_status vsq_ppu_requant(const vsq_ppu_cfg *cfg, const int64_t *x, size_t n, int16_t *codes,
                           uint32_t *sq, int64_t *amax_out) {
    if (!cfg || !x || !codes) return vsq_error(VSQ_EINVAL, "ppu: null argument");
    if (cfg->bits < 2 || cfg->bits > 16 || cfg->scale_bits < 0 || cfg->scale_bits > 16)
        return vsq_error(VSQ_EINVAL, "ppu: bits %d / scale bits %d out of range", cfg->bits,
                         cfg->scale_bits);
    if (cfg->frac_bits < 0 || cfg->frac_bits > 60)
        return vsq_error(VSQ_EINVAL, "ppu: reciprocal precision %d not in 0..60", cfg->frac_bits);
    uint64_t qmax = (1u << (cfg->bits - 1)) - 1, amax = vector_max(x, n);
    if (amax_out) *amax_out = (int64_t)amax;
    if (amax >= (1ull << 47)) return vsq_error(VSQ_EINVAL, "ppu: accumulator exceeds 47 bits");
    /* P = 0: enough precision that every code equals exact rounding */
    int p = cfg->frac_bits ? cfg->frac_bits : bit_len(amax) + bit_len(qmax) + 2, f;
    if (p > 60) p = 60;
    if (amax == 0) {
        memset(codes, 0, n * sizeof *codes);
        if (sq) *sq = 0;
        return VSQ_OK;
    }
    /* eq. 7b-7c: x_q = round(x * qmax / amax) via reciprocal + shift */
    unsigned __int128 rcp = reciprocal(amax, p, &f);
    for (size_t i = 0; i < n; i++) {
        uint64_t q = mul_shift(mag64(x[i]), qmax, rcp, f);
        if (q > qmax) q = qmax;
        codes[i] = (int16_t)(x[i] < 0 ? -(int64_t)q : (int64_t)q);
    }
    /* eq. 7g: s_q = round(s / gamma) = round(amax * 2^16 / (qmax * gamma_q16)) */
    if (sq && cfg->scale_bits > 0) {
        if (cfg->gamma_q16 == 0 || cfg->gamma_q16 >= (1ull << 40))
            return vsq_error(VSQ_EINVAL, "ppu: coarse scale (Q16) must be in 1..2^40-1");
        uint64_t den = qmax * cfg->gamma_q16, smax = (1u << cfg->scale_bits) - 1;
        int ps = bit_len(amax) + 18 > 60 ? 60 : bit_len(amax) + 18;
        unsigned __int128 rd = reciprocal(den, ps, &f);
        uint64_t s = mul_shift(amax, 1u << 16, rd, f);
        *sq = (uint32_t)(s > smax ? smax : s);
    }
    return VSQ_OK;
}
