/* Depthwise convolution with window vectors, fused with the activation
 * quantizer (--kernel packed; two-level sM activations, V >= kh*kw).
 *
 * The fake-quant path builds the window matrix col[(pixel, c)][tap] (9x the
 * activation volume), fake-quantizes it in place (act_fast.c) and convolves
 * it (cnn_dwconv_col): three passes over 9x the data. Here nothing is
 * materialized: for each output pixel, each channel's window is read
 * straight from the NHWC input, quantized on the fly with the window
 * matrix's semantics (one vector per window, eq. 7b-7c and 7g; the coarse
 * gamma per tensor, eq. 7e-7f, from one scan of the pixels the windows
 * read), and accumulated. Taps outside the image read a zero row, as the
 * window matrix holds zeros there.
 *
 * The accumulation is the fake-quant path's float arithmetic in its order
 * (b + sum over taps of (code * s_q * gamma) * w_q, no contraction), not
 * an integer MAC: the outputs are then bit-identical to the fake-quant
 * path (tests/test_cnn_packed.c), so the depthwise layers add no deviation
 * at all to what --kernel packed reports. (An integer MAC with the scale
 * product applied once, eq. 5, rounds once instead of per tap; on
 * MobileNet that flipped 1 of 20 predictions against fake-quant, and it is
 * not faster: the cost is the per-element division of eq. 7c either way.)
 * The inner loops run over channels (contiguous in NHWC), 8 at a time. */
#include "models/cnn/act_fast.h"
#include "models/cnn/cnn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int two_level_max(const vsq_format *f) {
    return f->gran == VSQ_GRAN_VECTOR && f->scale == VSQ_SCALE_TWO_LEVEL &&
           f->variant == VSQ_TWOLEVEL_PAPER && f->calib == VSQ_CALIB_MAX && f->elem != VSQ_ELEM_INTF &&
           f->scale_bits >= 1 && f->scale_bits <= 16;
}

int cnn_dw_fusable(const cnn_qcfg *q, const cnn_model *m, int i) {
    const cnn_layer *l = &m->l[i];
    if (!q->packed || l->op != CNN_DWCONV || !cnn_layer_quantized(q, m, i)) return 0;
    if (!q->quant_a || q->a_static || q->dw != CNN_DW_WINDOW) return 0;
    vsq_format a = cnn_act_format(q, l);
    /* one vector per window; the weights may be in any format (w_q) */
    return two_level_max(&a) && a.vec_len >= l->k && l->k <= CNN_DW_MAX_TAPS;
}

vsq_status cnn_dw_fuse_weights(cnn_layer *l) {
    size_t C = (size_t)l->cin, taps = (size_t)l->k;
    const float *w = l->wq ? l->wq : l->w;
    free(l->dwt);
    if (!(l->dwt = malloc(C * taps * sizeof *l->dwt))) return vsq_error(VSQ_ENOMEM, "no memory for layer %s", l->name);
    for (size_t c = 0; c < C; c++)
        for (size_t t = 0; t < taps; t++) l->dwt[t * C + c] = w[c * taps + t];
    return VSQ_OK;
}

size_t cnn_dw_scratch_bytes(const cnn_model *m) {
    size_t b = 0;
    for (int i = 0; i < m->n; i++) {
        const cnn_layer *l = &m->l[i];
        if (l->op != CNN_DWCONV) continue;
        size_t need = (size_t)l->cin * sizeof(float) + (size_t)l->ih + (size_t)l->iw;
        b = need > b ? need : b;
    }
    return b;
}

/* Rows (or columns) of the input that some window reads: the window matrix
 * holds exactly these pixels (plus padding zeros), so they alone set the
 * tensor peak (gamma) and must be finite. */
static void covered(int n_out, int k, int stride, int pad, int dil, int n_in, unsigned char *mask) {
    memset(mask, 0, (size_t)n_in);
    for (int o = 0; o < n_out; o++)
        for (int j = 0; j < k; j++) {
            int v = o * stride - pad + j * dil;
            if (v >= 0 && v < n_in) mask[v] = 1;
        }
}

/* Per-image constants of one layer. */
typedef struct {
    int C, taps, uns, top;
    float qref, qmin, qmax, gamma;
    float lo, hi;      /* a following ReLU / ReLU6 / Clip, fused (else -inf, inf) */
    const float *w;    /* [tap][c] */
    const float *bias;
} dw_ctx;

/* One channel of one output pixel; src[t] is the input pixel of tap t (a
 * zero row outside the image). The reference for the SIMD version below,
 * and its tail: act_fast.c's fq_two_level_vec + cnn_dwconv_col, fused. */
static void dw_channel(const dw_ctx *k, const float *const *src, int c, float *y) {
    int32_t pk = 0, mask = k->uns ? -1 : 0x7fffffff; /* uintN: max(x, 0) on the bit patterns */
    for (int t = 0; t < k->taps; t++) {
        int32_t b;
        memcpy(&b, &src[t][c], 4);
        b &= mask;
        pk = b > pk ? b : pk;
    }
    float p;
    memcpy(&p, &pk, 4);
    float sv = p / k->qref, eff = 0.0f; /* eq. 7b */
    int live = sv > 0.0f;               /* else the library zeroes the vector */
    if (live) {                         /* s_q = round(s / gamma) <= 2^M - 1 (eq. 7g) */
        float t = sv / k->gamma;
        int32_t sq = (int32_t)t;
        sq += t - (float)sq >= 0.5f;
        eff = (float)(sq > k->top ? k->top : sq) * k->gamma; /* eq. 7h */
    }
    float acc = k->bias[c];
    for (int t = 0; t < k->taps; t++) {
        float v = 0.0f;
        if (live) { /* code (eq. 2) with the float s (7c), ties away from zero as roundf */
            float u = src[t][c] / sv;
            u = u < k->qmin ? k->qmin : u;
            u = u > k->qmax ? k->qmax : u;
            int32_t q = (int32_t)u;
            float d = u - (float)q;
            q += (int32_t)(d >= 0.5f) - (int32_t)(d <= -0.5f);
            v = (float)q * eff;
        }
        acc += v * k->w[(size_t)t * k->C + c];
    }
    y[c] = acc < k->lo ? k->lo : (acc > k->hi ? k->hi : acc); /* cnn_clip */
}

#include "models/cnn/quant_avx2.h"
#ifdef VSQ_CNN_SIMD
#define VSQ_DW_AVX2 1

/* The same for 8 channels at a time from channel c (AVX2): identical IEEE
 * operations in the same order (divisions, compares, truncating
 * conversions, separate multiply and add; the rounding of quant_avx2.h),
 * hence the same bits as dw_channel. Dead vectors (s = 0) get s = 1 and
 * eff = 0: their codes are 0 (all x are 0, or <= 0 for uintN), v = +0 as
 * in the library. Returns the first channel not done. */
__attribute__((target("avx2"))) static int dw_pixel_avx2(const dw_ctx *k, const float *const *src, float *y, int c) {
    int C = k->C;
    const __m256i mask = _mm256_set1_epi32(k->uns ? -1 : 0x7fffffff), top = _mm256_set1_epi32(k->top);
    const __m256 qref = _mm256_set1_ps(k->qref), gamma = _mm256_set1_ps(k->gamma), half = _mm256_set1_ps(0.5f),
                 qmin = _mm256_set1_ps(k->qmin), one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
    for (; c + 8 <= C; c += 8) {
        __m256i pk = _mm256_setzero_si256();
        for (int t = 0; t < k->taps; t++)
            pk = _mm256_max_epi32(pk, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(src[t] + c)), mask));
        __m256 sv = _mm256_div_ps(_mm256_castsi256_ps(pk), qref);
        __m256 live = _mm256_cmp_ps(sv, zero, _CMP_GT_OQ);
        __m256 s = _mm256_blendv_ps(one, sv, live);
        __m256 ts = _mm256_div_ps(s, gamma);
        __m256i sq = _mm256_cvttps_epi32(ts);
        __m256 ge = _mm256_cmp_ps(_mm256_sub_ps(ts, _mm256_cvtepi32_ps(sq)), half, _CMP_GE_OQ);
        sq = _mm256_min_epi32(_mm256_sub_epi32(sq, _mm256_castps_si256(ge)), top);
        __m256 eff = _mm256_and_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(sq), gamma), live);
        __m256 acc = _mm256_loadu_ps(k->bias + c);
        for (int t = 0; t < k->taps; t++) {
            __m256i q = vsq_cnn_code8(_mm256_div_ps(_mm256_loadu_ps(src[t] + c), s), qmin);
            __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(q), eff);
            acc = _mm256_add_ps(acc, _mm256_mul_ps(v, _mm256_loadu_ps(k->w + (size_t)t * C + c)));
        }
        /* cnn_clip's x < lo ? lo : x > hi ? hi : x, operand order keeping -0 and NaN */
        acc = _mm256_min_ps(_mm256_set1_ps(k->hi), _mm256_max_ps(_mm256_set1_ps(k->lo), acc));
        _mm256_storeu_ps(y + c, acc);
    }
    return c;
}

/* 16 channels at a time (AVX-512F), the same operations. */
__attribute__((target("avx512f"))) static int dw_pixel_avx512(const dw_ctx *k, const float *const *src, float *y) {
    int C = k->C, c = 0;
    const __m512i mask = _mm512_set1_epi32(k->uns ? -1 : 0x7fffffff), top = _mm512_set1_epi32(k->top),
                  ione = _mm512_set1_epi32(1);
    const __m512 qref = _mm512_set1_ps(k->qref), gamma = _mm512_set1_ps(k->gamma), half = _mm512_set1_ps(0.5f),
                 qmin = _mm512_set1_ps(k->qmin), one = _mm512_set1_ps(1.0f), zero = _mm512_setzero_ps();
    for (; c + 16 <= C; c += 16) {
        __m512i pk = _mm512_setzero_si512();
        for (int t = 0; t < k->taps; t++)
            pk = _mm512_max_epi32(pk, _mm512_and_si512(_mm512_loadu_si512(src[t] + c), mask));
        __m512 sv = _mm512_div_ps(_mm512_castsi512_ps(pk), qref);
        __mmask16 live = _mm512_cmp_ps_mask(sv, zero, _CMP_GT_OQ);
        __m512 s = _mm512_mask_blend_ps(live, one, sv);
        __m512 ts = _mm512_div_ps(s, gamma);
        __m512i sq = _mm512_cvttps_epi32(ts);
        __mmask16 ge = _mm512_cmp_ps_mask(_mm512_sub_ps(ts, _mm512_cvtepi32_ps(sq)), half, _CMP_GE_OQ);
        sq = _mm512_min_epi32(_mm512_mask_add_epi32(sq, ge, sq, ione), top);
        __m512 eff = _mm512_maskz_mul_ps(live, _mm512_cvtepi32_ps(sq), gamma);
        __m512 acc = _mm512_loadu_ps(k->bias + c);
        for (int t = 0; t < k->taps; t++) {
            __m512i q = vsq_cnn_code16(_mm512_div_ps(_mm512_loadu_ps(src[t] + c), s), qmin);
            __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(q), eff);
            acc = _mm512_add_ps(acc, _mm512_mul_ps(v, _mm512_loadu_ps(k->w + (size_t)t * C + c)));
        }
        acc = _mm512_min_ps(_mm512_set1_ps(k->hi), _mm512_max_ps(_mm512_set1_ps(k->lo), acc));
        _mm512_storeu_ps(y + c, acc);
    }
    return c;
}
#endif

/* Running max of |x| and of x on the float bit patterns (act_fast.c's
 * scan_tensor) over n contiguous values. */
#ifdef VSQ_DW_AVX2
__attribute__((target("avx2"))) static size_t scan_avx2(const float *x, size_t n, int32_t *pa, int32_t *ps) {
    const __m256i abs = _mm256_set1_epi32(0x7fffffff);
    __m256i va = _mm256_set1_epi32(*pa), vs = _mm256_set1_epi32(*ps);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i b = _mm256_loadu_si256((const __m256i *)(x + i));
        va = _mm256_max_epi32(va, _mm256_and_si256(b, abs));
        vs = _mm256_max_epi32(vs, b);
    }
    int32_t a[8], s[8];
    _mm256_storeu_si256((__m256i *)a, va);
    _mm256_storeu_si256((__m256i *)s, vs);
    for (int j = 0; j < 8; j++) *pa = a[j] > *pa ? a[j] : *pa, *ps = s[j] > *ps ? s[j] : *ps;
    return i;
}
#endif

static void scan_run(const float *x, size_t n, int avx2, int32_t *pa, int32_t *ps) {
    size_t i = 0;
#ifdef VSQ_DW_AVX2
    if (avx2) i = scan_avx2(x, n, pa, ps);
#else
    (void)avx2;
#endif
    for (; i < n; i++) {
        int32_t b;
        memcpy(&b, &x[i], 4);
        int32_t a = b & 0x7fffffff;
        *pa = a > *pa ? a : *pa;
        *ps = b > *ps ? b : *ps;
    }
}

/* simd: 0 scalar, 1 AVX2, 2 AVX-512F (then AVX2 for a remaining 8) */
static void dw_pixel(const dw_ctx *k, int simd, const float *const *src, float *y) {
    int c = 0;
#ifdef VSQ_DW_AVX2
    if (simd >= 2) c = dw_pixel_avx512(k, src, y);
    if (simd >= 1) c = dw_pixel_avx2(k, src, y, c);
#else
    (void)simd;
#endif
    for (; c < k->C; c++) dw_channel(k, src, c, y);
}

vsq_status cnn_dw_fused(const cnn_model *m, const cnn_qcfg *q, int i, cnn_work *w, const float *x,
                        float *y, const float *clip) {
    const cnn_layer *l = &m->l[i];
    vsq_format f = cnn_act_format(q, l);
    int C = l->cin;
    float *zero = (float *)w->dws; /* malloc-aligned */
    unsigned char *rows = (unsigned char *)(zero + C), *cols = rows + l->ih;
    memset(zero, 0, (size_t)C * sizeof *zero);
    covered(l->oh, l->kh, l->sh, l->pt, l->dh, l->ih, rows);
    covered(l->ow, l->kw, l->sw, l->pl, l->dw, l->iw, cols);
    /* tensor peak and finiteness over the pixels the window matrix holds
     * (act_fast.c's scan_tensor on that matrix) */
    int uns = f.elem == VSQ_ELEM_UINT;
    int simd = cnn_simd_level(), avx2 = simd >= 1;
    int32_t pa = 0, ps = 0;
    for (int iy = 0; iy < l->ih; iy++) {
        if (!rows[iy]) continue;
        for (int ix = 0; ix < l->iw;) { /* runs of covered pixels: contiguous floats */
            if (!cols[ix]) { ix++; continue; }
            int e = ix;
            while (e < l->iw && cols[e]) e++;
            scan_run(x + ((size_t)iy * l->iw + ix) * C, (size_t)(e - ix) * C, avx2, &pa, &ps);
            ix = e;
        }
    }
    if (pa >= 0x7f800000) return vsq_error(VSQ_ENONFINITE, "%s: non-finite activation", l->name);
    int32_t pb = uns ? ps : pa;
    float peak;
    memcpy(&peak, &pb, 4);
    dw_ctx k = {.C = C, .taps = l->k, .uns = uns, .top = (int)((1L << f.scale_bits) - 1),
                .qref = (float)vsq_format_qref(&f), .qmin = (float)vsq_format_qmin(&f),
                .qmax = (float)vsq_format_qmax(&f), .w = l->dwt, .bias = l->b,
                .lo = clip ? clip[0] : -INFINITY, .hi = clip ? clip[1] : INFINITY};
    k.gamma = peak / k.qref / (float)k.top; /* eq. 7e-7f, one gamma per tensor */
    /* gamma = 0: the library zeroes every vector; all-zero windows do that */
    int dead = !(k.gamma > 0.0f);
    if (dead) k.gamma = 1.0f;
    const float *src[CNN_DW_MAX_TAPS];
    for (int oy = 0; oy < l->oh; oy++)
        for (int ox = 0; ox < l->ow; ox++) {
            for (int ky = 0; ky < l->kh; ky++) {
                int iy = oy * l->sh - l->pt + ky * l->dh;
                for (int kx = 0; kx < l->kw; kx++) {
                    int ix = ox * l->sw - l->pl + kx * l->dw;
                    int in = !dead && iy >= 0 && iy < l->ih && ix >= 0 && ix < l->iw;
                    src[ky * l->kw + kx] = in ? x + ((size_t)iy * l->iw + ix) * C : zero;
                }
            }
            dw_pixel(&k, simd, src, y + ((size_t)oy * l->ow + ox) * C);
        }
    return VSQ_OK;
}
