/* AVX2 int8 GEMV micro-kernel for two-level weights with u8 scales and
 * container bits 3, 4, 6 (W4A8, W4A4, W6A8, W3A8) or 8 (W8A8 with
 * activations in -127..127), V = 16, 32, 64.
 *
 * Why a separate path: in a GEMV every weight byte is used once, so the
 * per-vector work has to be a few instructions per 32 codes or the kernel
 * stops being bandwidth-bound. Here, per row and 64-element chunk:
 *   - the stored unsigned codes u = code + off are unpacked to bytes (an
 *     AND and a shift for 4-bit) and multiplied with the int8 activations
 *     by vpmaddubsw (u8 x s8, 32 MACs); u * a pairs cannot saturate;
 *   - the precomputed activation term -off * (a0 + a1) makes each int16
 *     lane the exact code * a pair sum (no sign extension of the codes);
 *   - 8-bit codes (u * a pairs could saturate) are used signed instead:
 *     vpmaddubsw(|w|, sign(a, w)), exact while a != -128;
 *   - for 3/4/6-bit codes, vphaddw first adds pairs of lanes of two rows
 *     (exact in int16), so one vpmaddwd serves two rows; vpmaddwd with the
 *     weight scales sw (picked per lane by vpshufb from the rows' scale
 *     bytes) sums into int32 and applies sw;
 *   - a vphaddd tree gathers the 4 rows' per-vector sums (int32, exact:
 *     bound checked by vsqk_gemv8_prepare), and vpmuldq multiplies them by
 *     the activation scale sa into int64 accumulators (4 per chunk for all
 *     4 rows; the multiply port is this kernel's bottleneck).
 * So the result is exactly the reference's sum over vectors of
 * dot * (sw * sa). */
#include <immintrin.h>
#include <string.h>

#include "kernels/kernels_internal.h"

#define AI static inline __attribute__((always_inline))
#include "kernels/x86/unpack256.h"

#ifndef VSQK_PF_DIST
#define VSQK_PF_DIST 4096
#endif
/* The weights are one sequential stream per thread: request the lines
 * 4 KiB ahead, as many per chunk as a chunk spans (one more for
 * alignment), so that the many short matrices of an LLM decode step do
 * not wait for the hardware prefetcher to ramp up at every start
 * (1.5-8 KiB measured within noise; 4 KiB best on the 16384^2 GEMV). */
#define PREFETCH_AHEAD(p, cb)                                                                  \
    do { /* a chunk: 4 rows x 8 cb code bytes + ~16 scale bytes */                          \
        for (int pf_ = 0; pf_ <= (32 * (cb) + 16 + 63) / 64; pf_++)                            \
            _mm_prefetch((const char *)(p) + VSQK_PF_DIST + 64 * pf_, _MM_HINT_T0);            \
    } while (0)

/* [row 0..3 sums of the low 128-bit halves | row 0..3 sums of the high
 * halves] of four rows' int32 lane vectors. */
AI __m256i rows4(__m256i q0, __m256i q1, __m256i q2, __m256i q3) {
    return _mm256_hadd_epi32(_mm256_hadd_epi32(q0, q1), _mm256_hadd_epi32(q2, q3));
}

/* The 4 rows' float scales of vector jj of a chunk, as doubles. */
AI __m256d row_scales_pd(const uint8_t *sp, vsq_pscale t, int jj) {
    if (t == VSQ_PSCALE_F16)
        return _mm256_cvtps_pd(_mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)(sp + 8 * jj))));
    return _mm256_cvtps_pd(_mm_loadu_ps((const float *)(sp + 16 * jj)));
}

/* Single-level scales: acc[r] += dot_rj * (sw_rj * sa_j) per vector j of
 * the chunk, in double as the int16 kernels do. l/h lanes 4L + r hold row
 * r's dots over elements 32h + 16L..; the parts of one vector (V = 32, 64)
 * are added in int32 first (exact), so each vector is scaled once. */
AI __m256d single_acc(__m256d acc, __m256i l, __m256i h, const uint8_t *sp, vsq_pscale t,
                      const double *sa, int V) {
    __m128i g[4] = {_mm256_castsi256_si128(l), _mm256_extracti128_si256(l, 1),
                    _mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1)};
    if (V == 32) {
        g[0] = _mm_add_epi32(g[0], g[1]);
        g[1] = _mm_add_epi32(g[2], g[3]);
    } else if (V == 64) {
        g[0] = _mm_add_epi32(_mm_add_epi32(g[0], g[1]), _mm_add_epi32(g[2], g[3]));
    }
    for (int jj = 0; jj < 64 / V; jj++)
        acc = _mm256_fmadd_pd(_mm256_cvtepi32_pd(g[jj]),
                              _mm256_mul_pd(row_scales_pd(sp, t, jj), _mm256_broadcast_sd(sa + jj)),
                              acc);
    return acc;
}

/* One activation row against one panel: out[r] = exact int64 sums
 * (ctl: the vpshufb controls, loaded once per panel range).
 * Per chunk, after vpmaddwd has applied sw, a vphaddd tree gathers the 4
 * rows' per-vector sums into one register per half, so sa needs only two
 * vpmulld per chunk (the multiply port is this kernel's bottleneck). */
AI void gemv8_panel(const vsq_packed_w *w, const uint8_t *pp, const int8_t *a8,
                    const int16_t *corr, const int32_t *sap, const double *sa,
                    const __m256i ctl[4][2], const __m256i ctl2[2][2], int cb, int V, int two,
                    void *out) {
    size_t nch = w->kp / VSQK_CHUNK, cbytes = w->code_bytes;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i even = _mm256_setzero_si256(), odd = _mm256_setzero_si256();
    __m256d acc = _mm256_setzero_pd();
    for (size_t c = 0; c < nch; c++) {
        const uint8_t *ch = pp + c * w->chunk_bytes;
        PREFETCH_AHEAD(ch, cb);
        __m256i a0 = _mm256_loadu_si256((const __m256i *)(a8 + 64 * c));
        __m256i a1 = _mm256_loadu_si256((const __m256i *)(a8 + 64 * c + 32));
        __m256i c0 = _mm256_setzero_si256(), c1 = c0;
        if (cb != 8) {
            c0 = _mm256_loadu_si256((const __m256i *)(corr + 32 * c));
            c1 = _mm256_loadu_si256((const __m256i *)(corr + 32 * c + 16));
        }
        /* two-level: vpmaddwd applies the integer sw; single-level: plain
         * pair sums (float scales are applied per vector below) */
        __m256i sc = two ? load_scales(ch + VSQK_NR * cbytes, V) : ones;
#define SW(c) (two ? _mm256_shuffle_epi8(sc, (c)) : ones)
        __m256i l, h; /* lane 4L + r: row r's dot (x sw) over 16 elements */
        if (cb == 8) { /* signed codes: |w| x sign(a, w); one vpmaddwd per row */
            const __m256i flip = _mm256_set1_epi8((char)0x80);
            __m256i qlo[4], qhi[4];
            for (int r = 0; r < 4; r++) {
                const uint8_t *p = ch + r * cbytes;
                __m256i lo = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)p), flip);
                __m256i hi = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(p + 32)), flip);
                __m256i plo = _mm256_maddubs_epi16(_mm256_abs_epi8(lo), _mm256_sign_epi8(a0, lo));
                __m256i phi = _mm256_maddubs_epi16(_mm256_abs_epi8(hi), _mm256_sign_epi8(a1, hi));
                qlo[r] = _mm256_madd_epi16(plo, SW(ctl[r][0]));
                qhi[r] = _mm256_madd_epi16(phi, SW(ctl[r][1]));
            }
            l = rows4(qlo[0], qlo[1], qlo[2], qlo[3]);
            h = rows4(qhi[0], qhi[1], qhi[2], qhi[3]);
        } else { /* vphaddw merges row pairs first: half the vpmaddwd */
            __m256i plo[4], phi[4];
            for (int r = 0; r < 4; r++) {
                __m256i lo, hi;
                unpack_u8(ch + r * cbytes, cb, &lo, &hi);
                plo[r] = _mm256_add_epi16(_mm256_maddubs_epi16(lo, a0), c0);
                phi[r] = _mm256_add_epi16(_mm256_maddubs_epi16(hi, a1), c1);
            }
            l = _mm256_hadd_epi32(
                _mm256_madd_epi16(_mm256_hadd_epi16(plo[0], plo[1]), SW(ctl2[0][0])),
                _mm256_madd_epi16(_mm256_hadd_epi16(plo[2], plo[3]), SW(ctl2[1][0])));
            h = _mm256_hadd_epi32(
                _mm256_madd_epi16(_mm256_hadd_epi16(phi[0], phi[1]), SW(ctl2[0][1])),
                _mm256_madd_epi16(_mm256_hadd_epi16(phi[2], phi[3]), SW(ctl2[1][1])));
        }
#undef SW
        if (!two) {
            acc = single_acc(acc, l, h, ch + VSQK_NR * cbytes, w->stype, sa + c * (64 / V), V);
            continue;
        }
        /* sap lanes 0..7 (elements 0..31) hold the same sa per 4 lanes as
         * the row sums of the matching half need; vpmuldq takes the even
         * int32 lanes, so the odd rows are shifted down first */
        __m256i s0 = _mm256_loadu_si256((const __m256i *)(sap + 16 * c));
        __m256i s1 = _mm256_loadu_si256((const __m256i *)(sap + 16 * c + 8));
        even = _mm256_add_epi64(even, _mm256_add_epi64(_mm256_mul_epi32(l, s0),
                                                       _mm256_mul_epi32(h, s1)));
        odd = _mm256_add_epi64(odd, _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(l, 32), s0),
                                                     _mm256_mul_epi32(_mm256_srli_epi64(h, 32), s1)));
    }
    if (!two) {
        _mm256_storeu_pd((double *)out, acc);
        return;
    }
    /* even = [r0, r2 | r0, r2], odd = [r1, r3 | r1, r3] (low | high half) */
    __m128i e = _mm_add_epi64(_mm256_castsi256_si128(even), _mm256_extracti128_si256(even, 1));
    __m128i o = _mm_add_epi64(_mm256_castsi256_si128(odd), _mm256_extracti128_si256(odd, 1));
    int64_t *oi = out;
    oi[0] = _mm_cvtsi128_si64(e);
    oi[1] = _mm_cvtsi128_si64(o);
    oi[2] = _mm_extract_epi64(e, 1);
    oi[3] = _mm_extract_epi64(o, 1);
}

/* Panels p0..p1-1 for every activation row: out[i * n_panels * 4 + 4p + r]. */
AI void gemv8_panels(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0, size_t p1,
                     void *out, const vsqk_gemv8 *g, int cb, int V, int two) {
    __m256i ctl[4][2], ctl2[2][2];
    memcpy(ctl, g->ctl, sizeof ctl);
    memcpy(ctl2, g->ctl2, sizeof ctl2);
    size_t kp = a->kp, np = w->n_panels;
    for (size_t p = p0; p < p1; p++) {
        const uint8_t *pp = w->data + p * w->panel_bytes;
        _mm_prefetch((const char *)(pp + w->panel_bytes), _MM_HINT_T0);
        for (size_t i = 0; i < a->m; i++) {
            size_t o = i * np * VSQK_NR + p * VSQK_NR;
            gemv8_panel(w, pp, g->c8 + i * kp, g->corr + i * kp / 2,
                        two ? g->sap + i * kp / 4 : NULL, a->scale + i * a->n_vec, ctl, ctl2, cb,
                        V, two, two ? (void *)((int64_t *)out + o) : (void *)((double *)out + o));
        }
    }
}

#define GEMV8(CB, V)                                                                           \
    static void gemv8_##CB##_##V(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0,       \
                                 size_t p1, void *out, const vsqk_gemv8 *g) {                  \
        gemv8_panels(a, w, p0, p1, out, g, CB, V, 1);                                          \
    }                                                                                          \
    static void gemv8f_##CB##_##V(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0,      \
                                  size_t p1, void *out, const vsqk_gemv8 *g) {                 \
        gemv8_panels(a, w, p0, p1, out, g, CB, V, 0);                                          \
    }
GEMV8(4, 16) GEMV8(4, 32) GEMV8(4, 64) GEMV8(6, 16) GEMV8(6, 32) GEMV8(6, 64)
GEMV8(3, 16) GEMV8(3, 32) GEMV8(3, 64) GEMV8(8, 16) GEMV8(8, 32) GEMV8(8, 64)

typedef void (*gemv8_fn)(const vsq_packed_a *, const vsq_packed_w *, size_t, size_t, void *,
                         const vsqk_gemv8 *);

void vsqk_gemv8_avx2(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0, size_t p1,
                     void *out, const vsqk_gemv8 *g) {
    static const gemv8_fn t[2][4][3] = {
        {{gemv8f_3_16, gemv8f_3_32, gemv8f_3_64}, {gemv8f_4_16, gemv8f_4_32, gemv8f_4_64},
         {gemv8f_6_16, gemv8f_6_32, gemv8f_6_64}, {gemv8f_8_16, gemv8f_8_32, gemv8f_8_64}},
        {{gemv8_3_16, gemv8_3_32, gemv8_3_64}, {gemv8_4_16, gemv8_4_32, gemv8_4_64},
         {gemv8_6_16, gemv8_6_32, gemv8_6_64}, {gemv8_8_16, gemv8_8_32, gemv8_8_64}}};
    int ci = w->cbits == 3 ? 0 : w->cbits == 4 ? 1 : w->cbits == 6 ? 2 : 3;
    int vi = w->vec_len == 16 ? 0 : w->vec_len == 32 ? 1 : 2;
    t[w->two_level][ci][vi](a, w, p0, p1, out, g);
}
