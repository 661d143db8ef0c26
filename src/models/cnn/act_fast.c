/* Allocation-free dynamic activation quantization for the CNN forward pass.
 *
 * vsq_quantize is general (any calibrator, any granularity) and allocates
 * its code, scale and alpha arrays on every call; the CNN calls it once
 * per layer per image, which made two-level (sM) activations ~40x slower
 * than fp32. The formats the sweeps use are simple enough to do in place:
 *   pt, fp32 scale, static alpha          (eq. 1-3)
 *   vV, fp32 / fp16 scale, max calib      (eq. 1-3, one scale per vector)
 *   vV, two-level "sM" (paper variant, also @pt), max calib (eq. 7a-7j)
 * with the activations' coarse group = the whole tensor (channels = 1), as
 * cnn_quant_act passes to vsq_fakequant. Every operation is the library's
 * own, in the same order, so the results are bit-identical to
 * vsq_fakequant (tests/test_cnn_fast.c checks it). */
#include "models/cnn/act_fast.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The hot loops are compiled for AVX2 as well and picked at load time
 * (GCC/clang ifunc); IEEE division, comparisons and conversions give the
 * same bits on every ISA, and ISO C mode never contracts into FMAs. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_ADDRESS__)
#define VSQ_CNN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VSQ_CNN_CLONES
#endif

int cnn_fast_act_ok(const vsq_format *f, int is_static) {
    if (f->elem == VSQ_ELEM_INTF) return 0; /* group-dependent qref: use the library */
    if (is_static) return f->gran == VSQ_GRAN_TENSOR && f->scale == VSQ_SCALE_FP32;
    if (f->gran != VSQ_GRAN_VECTOR || f->calib != VSQ_CALIB_MAX || f->vec_len < 1) return 0;
    if (f->scale == VSQ_SCALE_TWO_LEVEL)
        return f->variant == VSQ_TWOLEVEL_PAPER && f->scale_bits >= 1 && f->scale_bits <= 16;
    return f->scale == VSQ_SCALE_FP32 || f->scale == VSQ_SCALE_FP16;
}

/* Peak magnitude of a vector. The max is taken on the fp32 bit patterns as
 * int32: for finite values that orders like the floats, and unlike a float
 * max it vectorizes without -ffast-math. uintN: negative values (sign bit
 * set, negative as int32) lose against the initial 0, i.e. max(x, 0). */
static inline int32_t mag_bits(float v, int uns) {
    int32_t b;
    memcpy(&b, &v, 4);
    return uns ? b : (b & 0x7fffffff);
}

static inline __attribute__((always_inline)) float vec_peak(const float *x, size_t n, int uns) {
    int32_t p = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t b = mag_bits(x[i], uns);
        p = b > p ? b : p;
    }
    float f;
    memcpy(&f, &p, 4);
    return f;
}

/* One pass over the tensor: the peak magnitude (as vec_peak) and whether
 * every value is finite (|bits| below the exponent-all-ones pattern). */
VSQ_CNN_CLONES static int scan_tensor(const float *x, size_t n, int uns, float *peak) {
    int32_t pa = 0, ps = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t b;
        memcpy(&b, &x[i], 4);
        int32_t a = b & 0x7fffffff;
        pa = a > pa ? a : pa;
        ps = b > ps ? b : ps;
    }
    int32_t p = uns ? ps : pa;
    memcpy(peak, &p, 4);
    return pa < 0x7f800000;
}

/* A positive scale rounded to IEEE binary16 exactly as the library stores
 * fp16 scales: nearest even, never 0 (smallest subnormal), never Inf
 * (65504). Bits 0..12 of the fp32 mantissa are dropped for normal halves;
 * a carry out of the mantissa correctly bumps the exponent. */
static float round_f16(float s) {
    if (s >= 65520.0f) return 65504.0f;
    if (s < 6.103515625e-05f) { /* 2^-14: subnormal half, multiples of 2^-24 */
        float m = nearbyintf(s * 16777216.0f);
        return (m > 0.0f ? m : 1.0f) / 16777216.0f;
    }
    uint32_t u;
    memcpy(&u, &s, 4);
    uint32_t rest = u & 0x1fffu;
    u &= ~0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (u & 0x2000u))) u += 0x2000u;
    memcpy(&s, &u, 4);
    return s;
}

/* Integer code of x against scale s: roundf(x / s) clipped to the integer
 * bounds (eq. 2). Clamping before rounding gives the same code (the bounds
 * are integers) and keeps the int conversion in range; rounding is done in
 * integer arithmetic (t - trunc(t) is exact) so the loop vectorizes. The
 * code comes back through int, so a zero code is +0.0 as in the library. */
static inline __attribute__((always_inline)) float code_of(float x, float s, float qmin, float qmax) {
    float t = x / s;
    t = t < qmin ? qmin : t;
    t = t > qmax ? qmax : t;
    int32_t i = (int32_t)t;
    float d = t - (float)i;
    i += (int32_t)(d >= 0.5f) - (int32_t)(d <= -0.5f); /* ties away from zero, as roundf */
    return (float)i;
}

/* y = code(x, s) * eff for n values; s <= 0 zeroes the group (as the
 * library's zero scale does). */
static inline __attribute__((always_inline)) void fq_run(float *x, size_t n, float s, float eff,
                                                         float qmin, float qmax) {
    if (!(s > 0.0f)) {
        memset(x, 0, n * sizeof *x);
        return;
    }
    for (size_t j = 0; j < n; j++) x[j] = code_of(x[j], s, qmin, qmax) * eff;
}

typedef struct {
    float qref, qmin, qmax;
    int uns;
    size_t v;
} grid;

static grid grid_of(const vsq_format *f, size_t cols) {
    grid g = {(float)vsq_format_qref(f), (float)vsq_format_qmin(f), (float)vsq_format_qmax(f),
              f->elem == VSQ_ELEM_UINT, f->gran == VSQ_GRAN_VECTOR ? (size_t)f->vec_len : cols};
    return g;
}

/* Single-level per-vector: s = alpha / qref (stored as fp32 or fp16). */
static inline __attribute__((always_inline)) void fq_single_vec(float *xv, size_t n, const grid *g,
                                                                int f16) {
    float peak = vec_peak(xv, n, g->uns);
    float s = peak > 0.0f ? peak / g->qref : 0.0f;
    if (f16 && s > 0.0f) s = round_f16(s);
    fq_run(xv, n, s, s, g->qmin, g->qmax);
}

VSQ_CNN_CLONES static void fq_single(const vsq_format *f, float *x, size_t rows, size_t cols) {
    grid g = grid_of(f, cols);
    int f16 = f->scale == VSQ_SCALE_FP16;
    for (size_t r = 0; r < rows; r++)
        for (size_t c0 = 0; c0 < cols; c0 += g.v) {
            float *xv = x + r * cols + c0;
            size_t n = cols - c0 < g.v ? cols - c0 : g.v;
            fq_single_vec(xv, n, &g, f16);
        }
}

/* gamma = max_vec(s) / (2^M - 1) over the whole tensor (eq. 7e-7f). Float
 * division is monotonic, so max(peak / qref) = max(peak) / qref: the
 * tensor peak from scan_tensor is enough, no per-vector buffer. */
static float two_level_gamma(const vsq_format *f, float peak) {
    return peak / (float)vsq_format_qref(f) / (float)((1L << f->scale_bits) - 1);
}

/* Integer scale of a vector with float scale s (eq. 7g); 0 zeroes it. */
static long scale_code(const vsq_format *f, float s, float gamma) {
    if (!(s > 0.0f && gamma > 0.0f)) return 0;
    float t = s / gamma; /* > 0 and <= ~2^16: lroundf without the libm call */
    long c = (long)t, top = (1L << f->scale_bits) - 1;
    c += t - (float)c >= 0.5f;
    return c > top ? top : c;
}

/* One vector of a two-level tensor (inlined: the element loop vectorizes). */
static inline __attribute__((always_inline)) void fq_two_level_vec(const vsq_format *f, float *xv,
                                                                   size_t n, const grid *g,
                                                                   float gamma) {
    float s = vec_peak(xv, n, g->uns) / g->qref; /* eq. 7b */
    long c = scale_code(f, s, gamma);
    /* elements rounded with the float s (7c), dequantized with s_q*gamma (7h,
     * 7j); a vector whose s_q rounds to 0 keeps its codes (so -0.0 stays -0.0) */
    fq_run(xv, n, gamma > 0.0f ? s : 0.0f, (float)c * gamma, g->qmin, g->qmax);
}

VSQ_CNN_CLONES static void fq_two_level(const vsq_format *f, float *x, size_t rows, size_t cols,
                                        float gamma) {
    grid g = grid_of(f, cols);
    for (size_t r = 0; r < rows; r++)
        for (size_t c0 = 0; c0 < cols; c0 += g.v) {
            float *xv = x + r * cols + c0;
            size_t n = cols - c0 < g.v ? cols - c0 : g.v;
            fq_two_level_vec(f, xv, n, &g, gamma);
        }
}

vsq_status cnn_fast_fakequant(const vsq_format *f, float *x, size_t rows, size_t cols,
                              const float *alpha, const char *what) {
    float peak;
    if (!scan_tensor(x, rows * cols, f->elem == VSQ_ELEM_UINT, &peak))
        return vsq_error(VSQ_ENONFINITE, "%s: non-finite activation", what);
    if (alpha) { /* static per-tensor */
        grid g = grid_of(f, cols);
        float s = *alpha > 0.0f ? *alpha / g.qref : 0.0f;
        fq_run(x, rows * cols, s, s, g.qmin, g.qmax);
    } else if (f->scale == VSQ_SCALE_TWO_LEVEL) {
        fq_two_level(f, x, rows, cols, two_level_gamma(f, peak));
    } else {
        fq_single(f, x, rows, cols);
    }
    return VSQ_OK;
}

int cnn_simd_level(void) {
    vsq_isa isa = vsq_isa_active();
    if (isa == VSQ_ISA_REF) return 0;
#if defined(__x86_64__) && defined(__GNUC__)
    if (isa == VSQ_ISA_AVX512 && __builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2")) return 1;
#endif
    return 0;
}

/* ---- packed activations for the integer kernels ---- */

/* One row: per vector the integer scale (eq. 7b, 7g) and the codes (7c),
 * vectors whose integer scale rounds to 0 get zero codes. */
static void pack_row(const vsq_format *f, const grid *g, const float *x, size_t c0, size_t cols, float gamma,
                     vsq_packed_a *p, int16_t *codes, double *scale) {
    for (size_t j = c0 / g->v; c0 < cols; c0 += g->v, j++) {
        size_t n = cols - c0 < g->v ? cols - c0 : g->v;
        float s = vec_peak(x + c0, n, g->uns) / g->qref;
        long c = scale_code(f, s, gamma);
        for (size_t i = 0; i < n; i++) {
            int q = c ? (int)code_of(x[c0 + i], s, g->qmin, g->qmax) : 0;
            codes[c0 + i] = (int16_t)q;
            if (abs(q) > p->max_code) p->max_code = abs(q);
        }
        scale[j] = (double)c;
        if ((uint32_t)c > p->max_scale) p->max_scale = (uint32_t)c;
    }
}

#include "models/cnn/quant_avx2.h"
#ifdef VSQ_CNN_SIMD
#define VSQ_PACK_AVX2 1

/* pack_row for the vectors of a row whose length is a multiple of 8 (V a
 * multiple of 8; also a short last one, e.g. K = 24 at V = 16), 8 elements
 * at a time: the same codes as vec_peak / code_of (quant_avx2.h). Returns
 * the column where the scalar tail starts. */
__attribute__((target("avx2"))) static size_t pack_row_avx2(const vsq_format *f, const grid *g, const float *x,
                                                            size_t cols, float gamma, vsq_packed_a *p,
                                                            int16_t *codes, double *scale) {
    const __m256i mask = _mm256_set1_epi32(g->uns ? -1 : 0x7fffffff);
    const __m256 qmin = _mm256_set1_ps(g->qmin);
    __m256i mc = _mm256_setzero_si256();
    uint32_t ms = p->max_scale;
    size_t v = g->v, c0 = 0, j = 0;
    for (; c0 < cols; c0 += v, j++) {
        if ((cols - c0 < v ? cols - c0 : v) % 8) break; /* a short last vector of 8k still fits */
        size_t n = cols - c0 < v ? cols - c0 : v;
        __m256i pk = _mm256_setzero_si256();
        for (size_t e = 0; e < n; e += 8)
            pk = _mm256_max_epi32(pk, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + c0 + e)), mask));
        __m128i h = _mm_max_epi32(_mm256_castsi256_si128(pk), _mm256_extracti128_si256(pk, 1));
        h = _mm_max_epi32(h, _mm_shuffle_epi32(h, 0x4e));
        h = _mm_max_epi32(h, _mm_shuffle_epi32(h, 0xb1));
        float peak = _mm_cvtss_f32(_mm_castsi128_ps(h));
        float s = peak / g->qref;
        long c = scale_code(f, s, gamma);
        scale[j] = (double)c;
        ms = (uint32_t)c > ms ? (uint32_t)c : ms;
        if (!c) {
            memset(codes + c0, 0, n * sizeof *codes);
            continue;
        }
        const __m256 sv = _mm256_set1_ps(s);
        for (size_t e = 0; e < n; e += 8) {
            __m256i q = vsq_cnn_code8(_mm256_div_ps(_mm256_loadu_ps(x + c0 + e), sv), qmin);
            mc = _mm256_max_epi32(mc, _mm256_abs_epi32(q));
            __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
            _mm_storeu_si128((__m128i *)(codes + c0 + e), q16);
        }
    }
    __m128i h = _mm_max_epi32(_mm256_castsi256_si128(mc), _mm256_extracti128_si256(mc, 1));
    h = _mm_max_epi32(h, _mm_shuffle_epi32(h, 0x4e));
    h = _mm_max_epi32(h, _mm_shuffle_epi32(h, 0xb1));
    int m = _mm_cvtsi128_si32(h);
    p->max_code = m > p->max_code ? m : p->max_code;
    p->max_scale = ms;
    return c0 < cols ? c0 : cols;
}
#endif

vsq_status cnn_pack_act_two_level(const vsq_format *f, const float *x, size_t rows, size_t cols,
                                  vsq_packed_a *p, const char *what) {
    if (f->scale != VSQ_SCALE_TWO_LEVEL || !cnn_fast_act_ok(f, 0) ||
        (f->vec_len != 16 && f->vec_len != 32 && f->vec_len != 64))
        return vsq_error(VSQ_EUNSUPPORTED, "%s: packed activations need a two-level sM vV format, V in 16/32/64", what);
    float peak;
    if (!scan_tensor(x, rows * cols, f->elem == VSQ_ELEM_UINT, &peak))
        return vsq_error(VSQ_ENONFINITE, "%s: non-finite activation", what);
    size_t kp = (cols + 63) / 64 * 64;
    vsq_status st = vsq_packed_a_reserve(p, rows, kp);
    if (st) return st;
    p->fmt = *f, p->m = rows, p->k = cols, p->kp = kp, p->vec_len = f->vec_len;
    p->n_vec = kp / (size_t)f->vec_len, p->two_level = 1, p->max_code = 0, p->max_scale = 0;
    float gamma = two_level_gamma(f, peak); /* one coarse scale per tensor, as fake-quant */
    grid g = grid_of(f, cols);
#ifdef VSQ_PACK_AVX2
    int avx2 = g.v % 8 == 0 && cnn_simd_level() >= 1;
#else
    int avx2 = 0;
#endif
    for (size_t r = 0; r < rows; r++) {
        int16_t *codes = p->codes + r * kp;
        double *scale = p->scale + r * p->n_vec;
        size_t c0 = 0;
#ifdef VSQ_PACK_AVX2
        if (avx2) c0 = pack_row_avx2(f, &g, x + r * cols, cols, gamma, p, codes, scale);
#endif
        pack_row(f, &g, x + r * cols, c0, cols, gamma, p, codes, scale);
        memset(codes + cols, 0, (kp - cols) * sizeof *codes);
        for (size_t j = (cols + f->vec_len - 1) / f->vec_len; j < p->n_vec; j++) scale[j] = 0.0;
        p->gamma[r] = gamma;
    }
    return VSQ_OK;
}
