/* AVX2 micro-kernels (compiled with -mavx2 -mfma -mf16c -mbmi2; called only
 * after the CPUID check in dispatch.c).
 *
 * Integer dot: codes are widened to int16 and multiplied with vpmaddwd
 * (16 MACs, pairwise sums into int32; no saturation for any 8-bit code
 * pair, unlike vpmaddubsw). Per vector, the int32 lanes of the 4 rows of a
 * panel are reduced with a vphaddd tree to 4 exact int32 dots, converted
 * to double and fused-multiply-added with the scale products sw * sa: the
 * products and sums are integers below 2^53 (checked by the driver), so
 * the double accumulation is exact and equals the int64 reference. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels/kernels_internal.h"
#include "quant/quant_internal.h"

#define AI static inline __attribute__((always_inline))

/* Elements 16s..16s+15 of a packed row chunk, as int16 codes (u - off). */
AI __m256i unpack16(const uint8_t *p, int cb, int s, __m256i off) {
    const __m128i m4 = _mm_set1_epi8(15);
    __m256i x;
    if (cb == 8) {
        x = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(p + 16 * s)));
    } else if (cb == 4 || cb == 6) {
        __m128i b = _mm_loadu_si128((const __m128i *)(p + 16 * (s & 1)));
        if (s >= 2) b = _mm_srli_epi16(b, 4);
        x = _mm256_cvtepu8_epi16(_mm_and_si128(b, m4));
        if (cb == 6) {
            __m256i h = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(p + 32)));
            h = _mm256_and_si256(_mm256_srli_epi16(h, 2 * s), _mm256_set1_epi16(3));
            x = _mm256_or_si256(x, _mm256_slli_epi16(h, 4));
        }
    } else { /* 3 */
        __m256i l = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)p));
        l = _mm256_and_si256(_mm256_srli_epi16(l, 2 * s), _mm256_set1_epi16(3));
        __m128i hb = _mm_loadl_epi64((const __m128i *)(p + 16));
        hb = _mm_unpacklo_epi64(hb, _mm_srli_epi64(hb, 1));
        __m256i h = _mm256_cvtepu8_epi16(hb);
        h = _mm256_and_si256(_mm256_srli_epi16(h, 2 * s), _mm256_set1_epi16(1));
        x = _mm256_or_si256(l, _mm256_slli_epi16(h, 2));
    }
    return _mm256_sub_epi16(x, off);
}

/* The 4 rows' scales of one vector, as doubles. */
AI __m256d load_s4(const uint8_t *p, vsq_pscale t) {
    switch (t) {
    case VSQ_PSCALE_U8: {
        int32_t v;
        memcpy(&v, p, 4);
        return _mm256_cvtepi32_pd(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(v)));
    }
    case VSQ_PSCALE_U16:
        return _mm256_cvtepi32_pd(_mm_cvtepu16_epi32(_mm_loadl_epi64((const __m128i *)p)));
    case VSQ_PSCALE_F16: return _mm256_cvtps_pd(_mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)p)));
    default: return _mm256_cvtps_pd(_mm_loadu_ps((const float *)p));
    }
}

/* [sum q0, sum q1, sum q2, sum q3] (int32). */
AI __m128i tree4(__m256i q0, __m256i q1, __m256i q2, __m256i q3) {
    __m256i t = _mm256_hadd_epi32(_mm256_hadd_epi32(q0, q1), _mm256_hadd_epi32(q2, q3));
    return _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
}

/* ---- fused GEMV: one activation row, weights unpacked in registers ---- */
AI __m256d gemv_row(const vsq_packed_a *a, const vsq_packed_w *w, const uint8_t *pp, size_t i,
                    int cb, int V) {
    const __m256i off = _mm256_set1_epi16((short)w->off);
    const int16_t *ar = a->codes + i * a->kp;
    const double *sa = a->scale + i * a->n_vec;
    size_t nch = w->kp / VSQK_CHUNK, cbytes = w->code_bytes, ssz = vsqk_scale_size(w->stype);
    __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
    const int vpc = VSQK_CHUNK / V, spv = V / 16;
    for (size_t c = 0; c < nch; c++) {
        const uint8_t *ch = pp + c * w->chunk_bytes;
        const uint8_t *sp = ch + VSQK_NR * cbytes;
        _mm_prefetch((const char *)(ch + 8 * w->chunk_bytes), _MM_HINT_T0);
        const int16_t *ac = ar + c * VSQK_CHUNK;
        for (int j = 0; j < vpc; j++) {
            __m256i q0 = _mm256_setzero_si256(), q1 = q0, q2 = q0, q3 = q0;
            for (int t = 0; t < spv; t++) {
                int s = j * spv + t;
                __m256i av = _mm256_loadu_si256((const __m256i *)(ac + 16 * s));
                q0 = _mm256_add_epi32(q0, _mm256_madd_epi16(unpack16(ch, cb, s, off), av));
                q1 = _mm256_add_epi32(q1, _mm256_madd_epi16(unpack16(ch + cbytes, cb, s, off), av));
                q2 = _mm256_add_epi32(q2, _mm256_madd_epi16(unpack16(ch + 2 * cbytes, cb, s, off), av));
                q3 = _mm256_add_epi32(q3, _mm256_madd_epi16(unpack16(ch + 3 * cbytes, cb, s, off), av));
            }
            __m256d d = _mm256_cvtepi32_pd(tree4(q0, q1, q2, q3));
            __m256d sc = _mm256_mul_pd(load_s4(sp + (size_t)j * VSQK_NR * ssz, w->stype),
                                       _mm256_broadcast_sd(sa + c * vpc + j));
            if (j & 1) acc1 = _mm256_fmadd_pd(d, sc, acc1);
            else acc0 = _mm256_fmadd_pd(d, sc, acc0);
        }
    }
    return _mm256_add_pd(acc0, acc1);
}

/* ---- GEMM: panel unpacked to int16 scratch, MR activation rows at a time ---- */
AI void unpack_panel(const vsq_packed_w *w, const uint8_t *pp, int16_t *wb, double *sw, int cb) {
    const __m256i off = _mm256_set1_epi16((short)w->off);
    size_t nch = w->kp / VSQK_CHUNK, vpc = VSQK_CHUNK / w->vec_len, ssz = vsqk_scale_size(w->stype);
    for (size_t c = 0; c < nch; c++) {
        const uint8_t *ch = pp + c * w->chunk_bytes;
        for (int r = 0; r < VSQK_NR; r++)
            for (int s = 0; s < 4; s++)
                _mm256_store_si256((__m256i *)(wb + r * w->kp + c * 64 + 16 * s),
                                   unpack16(ch + r * w->code_bytes, cb, s, off));
        for (size_t j = 0; j < vpc; j++)
            _mm256_store_pd(sw + (c * vpc + j) * 4,
                            load_s4(ch + VSQK_NR * w->code_bytes + j * VSQK_NR * ssz, w->stype));
    }
}

AI void gemm_tile(const int16_t *wb, size_t kp, const double *sw, const vsq_packed_a *a, size_t i,
                  double *out, int V, int MR) {
    const int16_t *w0 = wb, *w1 = wb + kp, *w2 = wb + 2 * kp, *w3 = wb + 3 * kp;
    const int16_t *ap[4];
    const double *sap[4];
    __m256d acc[4];
    for (int ii = 0; ii < MR; ii++) {
        ap[ii] = a->codes + (i + ii) * a->kp;
        sap[ii] = a->scale + (i + ii) * a->n_vec;
        acc[ii] = _mm256_setzero_pd();
    }
    size_t nv = kp / V;
    for (size_t j = 0; j < nv; j++) {
        __m256i q[4][4];
        for (int ii = 0; ii < MR; ii++)
            for (int r = 0; r < 4; r++) q[ii][r] = _mm256_setzero_si256();
        for (int t = 0; t < V / 16; t++) {
            size_t e = j * V + 16 * t;
            __m256i x0 = _mm256_load_si256((const __m256i *)(w0 + e));
            __m256i x1 = _mm256_load_si256((const __m256i *)(w1 + e));
            __m256i x2 = _mm256_load_si256((const __m256i *)(w2 + e));
            __m256i x3 = _mm256_load_si256((const __m256i *)(w3 + e));
            for (int ii = 0; ii < MR; ii++) {
                __m256i av = _mm256_load_si256((const __m256i *)(ap[ii] + e));
                q[ii][0] = _mm256_add_epi32(q[ii][0], _mm256_madd_epi16(x0, av));
                q[ii][1] = _mm256_add_epi32(q[ii][1], _mm256_madd_epi16(x1, av));
                q[ii][2] = _mm256_add_epi32(q[ii][2], _mm256_madd_epi16(x2, av));
                q[ii][3] = _mm256_add_epi32(q[ii][3], _mm256_madd_epi16(x3, av));
            }
        }
        __m256d s4 = _mm256_load_pd(sw + 4 * j);
        for (int ii = 0; ii < MR; ii++) {
            __m256d d = _mm256_cvtepi32_pd(tree4(q[ii][0], q[ii][1], q[ii][2], q[ii][3]));
            acc[ii] = _mm256_fmadd_pd(d, _mm256_mul_pd(s4, _mm256_broadcast_sd(sap[ii] + j)), acc[ii]);
        }
    }
    for (int ii = 0; ii < MR; ii++) _mm256_storeu_pd(out + 4 * ii, acc[ii]);
}

#define TILE(V, MR)                                                                            \
    static void tile_##V##_##MR(const int16_t *wb, size_t kp, const double *sw,                 \
                                const vsq_packed_a *a, size_t i, double *out) {                 \
        gemm_tile(wb, kp, sw, a, i, out, V, MR);                                               \
    }
TILE(16, 4) TILE(16, 1) TILE(32, 2) TILE(32, 1) TILE(64, 2) TILE(64, 1)

#define GEMV(CB, V)                                                                            \
    static __m256d gemv_##CB##_##V(const vsq_packed_a *a, const vsq_packed_w *w,                \
                                   const uint8_t *pp, size_t i) {                              \
        return gemv_row(a, w, pp, i, CB, V);                                                   \
    }
GEMV(8, 16) GEMV(8, 32) GEMV(8, 64) GEMV(6, 16) GEMV(6, 32) GEMV(6, 64)
GEMV(4, 16) GEMV(4, 32) GEMV(4, 64) GEMV(3, 16) GEMV(3, 32) GEMV(3, 64)

typedef __m256d (*gemv_fn)(const vsq_packed_a *, const vsq_packed_w *, const uint8_t *, size_t);

static gemv_fn pick_gemv(int cb, int V) {
    int vi = V == 16 ? 0 : V == 32 ? 1 : 2;
    static const gemv_fn t[4][3] = {{gemv_8_16, gemv_8_32, gemv_8_64},
                                    {gemv_6_16, gemv_6_32, gemv_6_64},
                                    {gemv_4_16, gemv_4_32, gemv_4_64},
                                    {gemv_3_16, gemv_3_32, gemv_3_64}};
    int ci = cb == 8 ? 0 : cb == 6 ? 1 : cb == 4 ? 2 : 3;
    return t[ci][vi];
}

static void unpack_panel_any(const vsq_packed_w *w, const uint8_t *pp, int16_t *wb, double *sw) {
    switch (w->cbits) {
    case 8: unpack_panel(w, pp, wb, sw, 8); break;
    case 6: unpack_panel(w, pp, wb, sw, 6); break;
    case 4: unpack_panel(w, pp, wb, sw, 4); break;
    default: unpack_panel(w, pp, wb, sw, 3);
    }
}

static void store_out(void *out, size_t o, __m256d v, int two) {
    double d[4];
    _mm256_storeu_pd(d, v);
    if (two)
        for (int r = 0; r < 4; r++) ((int64_t *)out)[o + r] = (int64_t)d[r];
    else
        memcpy((double *)out + o, d, sizeof d);
}

void vsqk_panel_avx2(const vsq_packed_a *a, const vsq_packed_w *w, size_t panel, size_t i0,
                     size_t i1, void *out, void *scratch, const vsqk_gemv8 *g8) {
    (void)g8;
    const uint8_t *pp = w->data + panel * w->panel_bytes;
    int two = w->two_level && a->two_level, V = w->vec_len;
    if (i1 - i0 < 4) { /* GEMV: fused unpack */
        gemv_fn f = pick_gemv(w->cbits, V);
        for (size_t i = i0; i < i1; i++) store_out(out, (i - i0) * 4, f(a, w, pp, i), two);
        return;
    }
    int16_t *wb = scratch;
    double *sw = (double *)((uint8_t *)scratch + (VSQK_NR * w->kp * sizeof(int16_t) + 63) / 64 * 64);
    unpack_panel_any(w, pp, wb, sw);
    int mr = V == 16 ? 4 : 2;
    double tmp[16];
    size_t i = i0;
    for (; i + (size_t)mr <= i1; i += mr) {
        if (V == 16) tile_16_4(wb, w->kp, sw, a, i, tmp);
        else if (V == 32) tile_32_2(wb, w->kp, sw, a, i, tmp);
        else tile_64_2(wb, w->kp, sw, a, i, tmp);
        for (int ii = 0; ii < mr; ii++)
            store_out(out, (i - i0 + ii) * 4, _mm256_loadu_pd(tmp + 4 * ii), two);
    }
    for (; i < i1; i++) {
        if (V == 16) tile_16_1(wb, w->kp, sw, a, i, tmp);
        else if (V == 32) tile_32_1(wb, w->kp, sw, a, i, tmp);
        else tile_64_1(wb, w->kp, sw, a, i, tmp);
        store_out(out, (i - i0) * 4, _mm256_loadu_pd(tmp), two);
    }
}
