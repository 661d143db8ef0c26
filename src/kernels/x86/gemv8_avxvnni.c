/* AVX-VNNI int8 GEMV micro-kernel (256-bit VEX vpdpbusd): two-level weights
 * with u8 scales, every container (3/4/6/8 bit; intN, intNf, uintN) and
 * int8-range activations, V = 16, 32, 64; m < 4 activation rows.
 *
 * The AVX-512 GEMV (vnni_avx512.c) on half-width registers, for CPUs with
 * AVX-VNNI but without AVX-512 (Alder Lake and later client cores, Zen 5
 * client). Against the AVX2 kernel (gemv8_avx2.c) one vpdpbusd replaces
 * vpmaddubsw + offset add + vphaddw + vpmaddwd: it sums 4 u8 x s8 products
 * into an int32 lane without the int16 saturation, so 8-bit codes need no
 * sign trick and the exactness bound is the int32 one of AVX-512. Per
 * 64-element chunk and weight row:
 *   - the stored unsigned codes u = code + off are unpacked to bytes
 *     (lo = elements 0..31, hi = 32..63);
 *   - vpdpbusd from the precomputed -off * (a0+a1+a2+a3) (corr4) gives
 *     8 + 8 lanes of exact code * a sums over 4 elements;
 * and per chunk, for the panel's 4 rows at once:
 *   - unpack/add steps gather each row's 4 lanes per 16 elements: lane
 *     4k + r of (lo, hi) is row r's dot over elements 16k..16k+15 (k = 0, 1
 *     in lo; 2, 3 in hi), exact in int32 (bound: vsqk_gemv8_prepare);
 *   - the integer product sw * sa per lane (vpmulld) multiplies the dots
 *     into int64 accumulators (vpmuldq), so the result is the reference's
 *     sum over vectors of dot * (sw * sa) (paper eq. 6), bit exact. */
#include <string.h>

#include "kernels/x86/avxvnni_compat.h"
#include "kernels/kernels_internal.h"

#define AI static inline __attribute__((always_inline))
#include "kernels/x86/unpack256.h"

#ifndef VSQK_PF_DIST
#define VSQK_PF_DIST 4096
#endif

/* Lane 4k + r of (lo, hi): row r's dot over elements 16k..16k+15 (both
 * 128-bit lanes at once: unpack works within them). */
AI __m256i rows4(__m256i q0, __m256i q1, __m256i q2, __m256i q3) {
    __m256i s01 = _mm256_add_epi32(_mm256_unpacklo_epi32(q0, q1), _mm256_unpackhi_epi32(q0, q1));
    __m256i s23 = _mm256_add_epi32(_mm256_unpacklo_epi32(q2, q3), _mm256_unpackhi_epi32(q2, q3));
    return _mm256_add_epi32(_mm256_unpacklo_epi64(s01, s23), _mm256_unpackhi_epi64(s01, s23));
}

/* vpshufb controls: int32 lane 4k + r (k = 0, 1 for half 0; 2, 3 for half
 * 1) takes scale byte 4 * (16k / V) + r, zero-extended. */
AI void scale_ctl(int V, __m256i *c0, __m256i *c1) {
    int32_t c[2][8];
    for (int h = 0; h < 2; h++)
        for (int l = 0; l < 8; l++)
            c[h][l] = (int32_t)(0x80808000u | (uint32_t)(4 * ((16 * (2 * h + l / 4)) / V) + l % 4));
    *c0 = _mm256_loadu_si256((const __m256i *)c[0]);
    *c1 = _mm256_loadu_si256((const __m256i *)c[1]);
}

/* even/odd += dots * (sw * sa) in int64 (vpmuldq: even int32 lanes = rows
 * 0 and 2; the shifted copies: rows 1 and 3). */
AI void scale_acc(__m256i dots, __m256i sw, const int32_t *sap, __m256i *even, __m256i *odd) {
    __m256i swsa = _mm256_mullo_epi32(sw, _mm256_loadu_si256((const __m256i *)sap));
    *even = _mm256_add_epi64(*even, _mm256_mul_epi32(dots, swsa));
    *odd = _mm256_add_epi64(*odd, _mm256_mul_epi32(_mm256_srli_epi64(dots, 32),
                                                   _mm256_srli_epi64(swsa, 32)));
}

AI void unpack_row(const uint8_t *p, int cb, __m256i *lo, __m256i *hi) {
    if (cb == 8) {
        *lo = _mm256_loadu_si256((const __m256i *)p);
        *hi = _mm256_loadu_si256((const __m256i *)(p + 32));
    } else {
        unpack_u8(p, cb, lo, hi);
    }
}

AI void gemv_panel(const vsq_packed_w *w, const uint8_t *pp, const int8_t *a8,
                   const int32_t *corr4, const int32_t *sap, __m256i ctl0, __m256i ctl1, int cb,
                   int V, int64_t out[4]) {
    size_t nch = w->kp / VSQK_CHUNK, cbytes = w->code_bytes;
    __m256i even = _mm256_setzero_si256(), odd = even;
    for (size_t c = 0; c < nch; c++) {
        const uint8_t *ch = pp + c * w->chunk_bytes;
        for (int pf = 0; pf <= (32 * cb + 16 + 63) / 64; pf++) /* see gemv8_avx2.c */
            _mm_prefetch((const char *)ch + VSQK_PF_DIST + 64 * pf, _MM_HINT_T0);
        __m256i a0 = _mm256_loadu_si256((const __m256i *)(a8 + 64 * c));
        __m256i a1 = _mm256_loadu_si256((const __m256i *)(a8 + 64 * c + 32));
        __m256i z0 = _mm256_loadu_si256((const __m256i *)(corr4 + 16 * c));
        __m256i z1 = _mm256_loadu_si256((const __m256i *)(corr4 + 16 * c + 8));
        __m256i ql[4], qh[4];
        for (int r = 0; r < 4; r++) {
            __m256i lo, hi;
            unpack_row(ch + r * cbytes, cb, &lo, &hi);
            ql[r] = VSQK_DPBUSD256(z0, lo, a0);
            qh[r] = VSQK_DPBUSD256(z1, hi, a1);
        }
        __m256i sc = load_scales(ch + VSQK_NR * cbytes, V);
        scale_acc(rows4(ql[0], ql[1], ql[2], ql[3]), _mm256_shuffle_epi8(sc, ctl0), sap + 16 * c,
                  &even, &odd);
        scale_acc(rows4(qh[0], qh[1], qh[2], qh[3]), _mm256_shuffle_epi8(sc, ctl1),
                  sap + 16 * c + 8, &even, &odd);
    }
    /* 64-bit lane m of even = int32 lane 2m: (k = m / 2, row 2 (m % 2)) */
    int64_t e[4], o[4];
    _mm256_storeu_si256((__m256i *)e, even);
    _mm256_storeu_si256((__m256i *)o, odd);
    out[0] = e[0] + e[2];
    out[2] = e[1] + e[3];
    out[1] = o[0] + o[2];
    out[3] = o[1] + o[3];
}

AI void gemv_panels(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0, size_t p1,
                    int64_t *out, const vsqk_gemv8 *g, int cb, int V) {
    size_t kp = a->kp, np = w->n_panels;
    __m256i ctl0, ctl1;
    scale_ctl(V, &ctl0, &ctl1);
    for (size_t p = p0; p < p1; p++) {
        const uint8_t *pp = w->data + p * w->panel_bytes;
        for (size_t i = 0; i < a->m; i++)
            gemv_panel(w, pp, g->c8 + i * kp, g->corr4 + i * kp / 4, g->sap + i * kp / 4, ctl0,
                       ctl1, cb, V, out + i * np * VSQK_NR + p * VSQK_NR);
    }
}

#define GEMV(CB, V)                                                                            \
    static void gemv_##CB##_##V(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0,        \
                                size_t p1, void *out, const vsqk_gemv8 *g) {                   \
        gemv_panels(a, w, p0, p1, (int64_t *)out, g, CB, V);                                   \
    }
GEMV(3, 16) GEMV(3, 32) GEMV(3, 64) GEMV(4, 16) GEMV(4, 32) GEMV(4, 64)
GEMV(6, 16) GEMV(6, 32) GEMV(6, 64) GEMV(8, 16) GEMV(8, 32) GEMV(8, 64)

void VSQK_AVNNI(vsqk_gemv8)(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0, size_t p1,
                            void *out, const vsqk_gemv8 *g) {
    static const vsqk_gemv8_fn t[4][3] = {{gemv_3_16, gemv_3_32, gemv_3_64},
                                          {gemv_4_16, gemv_4_32, gemv_4_64},
                                          {gemv_6_16, gemv_6_32, gemv_6_64},
                                          {gemv_8_16, gemv_8_32, gemv_8_64}};
    int ci = w->cbits == 3 ? 0 : w->cbits == 4 ? 1 : w->cbits == 6 ? 2 : 3;
    int vi = w->vec_len == 16 ? 0 : w->vec_len == 32 ? 1 : 2;
    t[ci][vi](a, w, p0, p1, out, g);
}
