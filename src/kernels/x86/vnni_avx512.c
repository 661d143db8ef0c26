/* AVX-512 VNNI micro-kernels: GEMV and GEMM for two-level operands with u8
 * scales and int8-range activations, every weight container (3/4/6/8 bit,
 * intN, intNf, uintN), V = 16, 32, 64.
 *
 * vpdpbusd is the software twin of the paper's vector MAC (Fig. 2): u8 x s8
 * products summed 4 at a time into int32 lanes, without the int16
 * saturation of vpmaddubsw. Per 64-element chunk and weight row:
 *   - the stored unsigned codes u = code + off are unpacked to 64 bytes;
 *   - one vpdpbusd starting from the precomputed -off * (a0+a1+a2+a3)
 *     gives 16 lanes of exact code * a sums (4 elements each);
 * and per chunk and activation row, for the panel's 4 weight rows at once:
 *   - unpack/add steps gather each row's 4 lanes per 16 elements, giving
 *     one register whose lane 4k + r is row r's dot over elements
 *     16k..16k+15 (exact int32: bound checked by vsqk_gemv8_prepare);
 *   - the integer scale product sw * sa is formed per lane (vpmulld, at
 *     most 255 * 65535) and multiplied into int64 accumulators (vpmuldq),
 *     so the result is the reference's sum of dot * (sw * sa), bit exact.
 * Compiled natively as the library's avx512 kernels, and against SIMDe as
 * the *_avx512emu test twins (avx512_compat.h). */
#include <string.h>

#include "kernels/x86/avx512_compat.h"
#include "kernels/kernels_internal.h"
#include "kernels/x86/unpack_avx512.h"

#define AI static inline __attribute__((always_inline))
#define WCHUNK 320 /* unpacked GEMM panel chunk: 4 rows x 64 u8 + 16 int32 scales */

/* Lane 4k + r: row r's scale of the vector holding elements 16k..16k+15
 * (stored vector-major: byte 4j + r, j = 16k / V), zero-extended by one
 * vpshufb from the scale bytes copied into every 128-bit lane. Reads only
 * the chunk's scale bytes. */
AI __m512i row_scales(const uint8_t *sp, int V) {
    __m128i s;
    if (V == 16) {
        s = _mm_loadu_si128((const __m128i *)sp);
    } else if (V == 32) {
        s = _mm_loadl_epi64((const __m128i *)sp);
    } else {
        int32_t v;
        memcpy(&v, sp, 4);
        s = _mm_cvtsi32_si128(v);
    }
    int32_t ctl[16];
    for (int l = 0; l < 16; l++) /* byte index, then three zeroing 0x80 */
        ctl[l] = (int32_t)(0x80808000u | (uint32_t)(4 * ((16 * (l / 4)) / V) + l % 4));
    return _mm512_shuffle_epi8(_mm512_broadcast_i32x4(s), _mm512_loadu_si512((const void *)ctl));
}

/* even/odd += dots * (sw * sa) in int64: vpmuldq takes the even int32
 * lanes (rows 0 and 2), the shifted copies the odd ones (rows 1 and 3). */
AI void scale_acc(__m512i dots, __m512i sw, const int32_t *sap, __m512i *even, __m512i *odd) {
    __m512i swsa = _mm512_mullo_epi32(sw, _mm512_loadu_si512((const void *)sap));
    *even = _mm512_add_epi64(*even, _mm512_mul_epi32(dots, swsa));
    *odd = _mm512_add_epi64(*odd, _mm512_mul_epi32(_mm512_srli_epi64(dots, 32),
                                                   _mm512_srli_epi64(swsa, 32)));
}

/* 64-bit lane m of even holds int32 lane 2m = (k = m / 2, r = 2 (m % 2)). */
AI void finish(__m512i even, __m512i odd, int64_t out[4]) {
    int64_t e[8], o[8];
    _mm512_storeu_si512((void *)e, even);
    _mm512_storeu_si512((void *)o, odd);
    out[0] = e[0] + e[2] + e[4] + e[6];
    out[2] = e[1] + e[3] + e[5] + e[7];
    out[1] = o[0] + o[2] + o[4] + o[6];
    out[3] = o[1] + o[3] + o[5] + o[7];
}

/* ---- GEMV: weights unpacked in registers, one activation row ---- */
AI void gemv_panel(const vsq_packed_w *w, const uint8_t *pp, const int8_t *a8,
                   const int32_t *corr4, const int32_t *sap, int cb, int V, int64_t out[4]) {
    size_t nch = w->kp / VSQK_CHUNK, cbytes = w->code_bytes;
    __m512i even = _mm512_setzero_si512(), odd = even;
    for (size_t c = 0; c < nch; c++) {
        const uint8_t *ch = pp + c * w->chunk_bytes;
        __m512i a = _mm512_loadu_si512((const void *)(a8 + 64 * c));
        __m512i cz = _mm512_loadu_si512((const void *)(corr4 + 16 * c));
        __m512i q0 = _mm512_dpbusd_epi32(cz, unpack64(ch, cb), a);
        __m512i q1 = _mm512_dpbusd_epi32(cz, unpack64(ch + cbytes, cb), a);
        __m512i q2 = _mm512_dpbusd_epi32(cz, unpack64(ch + 2 * cbytes, cb), a);
        __m512i q3 = _mm512_dpbusd_epi32(cz, unpack64(ch + 3 * cbytes, cb), a);
        scale_acc(rows4(q0, q1, q2, q3), row_scales(ch + VSQK_NR * cbytes, V), sap + 16 * c,
                  &even, &odd);
    }
    finish(even, odd, out);
}

AI void gemv_panels(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0, size_t p1,
                    int64_t *out, const vsqk_gemv8 *g, int cb, int V) {
    size_t kp = a->kp, np = w->n_panels;
    for (size_t p = p0; p < p1; p++) {
        const uint8_t *pp = w->data + p * w->panel_bytes;
        for (size_t i = 0; i < a->m; i++)
            gemv_panel(w, pp, g->c8 + i * kp, g->corr4 + i * kp / 4, g->sap + i * kp / 4, cb, V,
                       out + i * np * VSQK_NR + p * VSQK_NR);
    }
}

#define GEMV(CB, V)                                                                            \
    static void gemv_##CB##_##V(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0,        \
                                size_t p1, void *out, const vsqk_gemv8 *g) {                   \
        gemv_panels(a, w, p0, p1, (int64_t *)out, g, CB, V);                                   \
    }
GEMV(3, 16) GEMV(3, 32) GEMV(3, 64) GEMV(4, 16) GEMV(4, 32) GEMV(4, 64)
GEMV(6, 16) GEMV(6, 32) GEMV(6, 64) GEMV(8, 16) GEMV(8, 32) GEMV(8, 64)

static int cb_index(int cb) { return cb == 3 ? 0 : cb == 4 ? 1 : cb == 6 ? 2 : 3; }
static int v_index(int V) { return V == 16 ? 0 : V == 32 ? 1 : 2; }

void VSQK_A512(vsqk_gemv8)(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0, size_t p1,
                           void *out, const vsqk_gemv8 *g) {
    static const vsqk_gemv8_fn t[4][3] = {{gemv_3_16, gemv_3_32, gemv_3_64},
                                          {gemv_4_16, gemv_4_32, gemv_4_64},
                                          {gemv_6_16, gemv_6_32, gemv_6_64},
                                          {gemv_8_16, gemv_8_32, gemv_8_64}};
    t[cb_index(w->cbits)][v_index(w->vec_len)](a, w, p0, p1, out, g);
}

/* ---- GEMM: panel unpacked once per activation block, MR rows per tile ---- */
AI void unpack_panel(const vsq_packed_w *w, const uint8_t *pp, uint8_t *wb, int cb, int V) {
    for (size_t c = 0; c < w->kp / VSQK_CHUNK; c++) {
        const uint8_t *ch = pp + c * w->chunk_bytes;
        uint8_t *d = wb + c * WCHUNK;
        for (int r = 0; r < VSQK_NR; r++)
            _mm512_storeu_si512((void *)(d + 64 * r), unpack64(ch + r * w->code_bytes, cb));
        _mm512_storeu_si512((void *)(d + 256), row_scales(ch + VSQK_NR * w->code_bytes, V));
    }
}

static void unpack_panel_any(const vsq_packed_w *w, const uint8_t *pp, uint8_t *wb) {
    int V = w->vec_len;
    switch (w->cbits) { /* constant cb and V let the unpacking specialize */
    case 3: V == 16 ? unpack_panel(w, pp, wb, 3, 16) : V == 32 ? unpack_panel(w, pp, wb, 3, 32)
                                                               : unpack_panel(w, pp, wb, 3, 64); break;
    case 4: V == 16 ? unpack_panel(w, pp, wb, 4, 16) : V == 32 ? unpack_panel(w, pp, wb, 4, 32)
                                                               : unpack_panel(w, pp, wb, 4, 64); break;
    case 6: V == 16 ? unpack_panel(w, pp, wb, 6, 16) : V == 32 ? unpack_panel(w, pp, wb, 6, 32)
                                                               : unpack_panel(w, pp, wb, 6, 64); break;
    default: V == 16 ? unpack_panel(w, pp, wb, 8, 16) : V == 32 ? unpack_panel(w, pp, wb, 8, 32)
                                                                : unpack_panel(w, pp, wb, 8, 64);
    }
}

/* Activation rows i..i+MR-1 against the unpacked panel: out[4 ii + r]. */
AI void tile(const uint8_t *wb, size_t nch, const vsqk_gemv8 *g, size_t kp, size_t i, int MR,
             int64_t *out) {
    __m512i even[4], odd[4];
    for (int ii = 0; ii < MR; ii++) even[ii] = odd[ii] = _mm512_setzero_si512();
    for (size_t c = 0; c < nch; c++) {
        const uint8_t *wc = wb + c * WCHUNK;
        __m512i w0 = _mm512_loadu_si512((const void *)wc);
        __m512i w1 = _mm512_loadu_si512((const void *)(wc + 64));
        __m512i w2 = _mm512_loadu_si512((const void *)(wc + 128));
        __m512i w3 = _mm512_loadu_si512((const void *)(wc + 192));
        __m512i sw = _mm512_loadu_si512((const void *)(wc + 256));
        for (int ii = 0; ii < MR; ii++) {
            size_t row = i + (size_t)ii;
            __m512i a = _mm512_loadu_si512((const void *)(g->c8 + row * kp + 64 * c));
            __m512i cz = _mm512_loadu_si512((const void *)(g->corr4 + row * kp / 4 + 16 * c));
            __m512i d = rows4(_mm512_dpbusd_epi32(cz, w0, a), _mm512_dpbusd_epi32(cz, w1, a),
                              _mm512_dpbusd_epi32(cz, w2, a), _mm512_dpbusd_epi32(cz, w3, a));
            scale_acc(d, sw, g->sap + row * kp / 4 + 16 * c, &even[ii], &odd[ii]);
        }
    }
    for (int ii = 0; ii < MR; ii++) finish(even[ii], odd[ii], out + 4 * ii);
}

static void tile4(const uint8_t *wb, size_t nch, const vsqk_gemv8 *g, size_t kp, size_t i,
                  int64_t *out) {
    tile(wb, nch, g, kp, i, 4, out);
}
static void tile1(const uint8_t *wb, size_t nch, const vsqk_gemv8 *g, size_t kp, size_t i,
                  int64_t *out) {
    tile(wb, nch, g, kp, i, 1, out);
}

void VSQK_A512(vsqk_panel)(const vsq_packed_a *a, const vsq_packed_w *w, size_t panel, size_t i0,
                           size_t i1, void *out, void *scratch, const vsqk_gemv8 *g8) {
    uint8_t *wb = scratch; /* kp / 64 * 320 = 5 kp bytes <= vsqk_scratch_bytes(w) */
    unpack_panel_any(w, w->data + panel * w->panel_bytes, wb);
    size_t nch = w->kp / VSQK_CHUNK, i = i0;
    int64_t *o = out;
    for (; i + 4 <= i1; i += 4) tile4(wb, nch, g8, a->kp, i, o + (i - i0) * VSQK_NR);
    for (; i < i1; i++) tile1(wb, nch, g8, a->kp, i, o + (i - i0) * VSQK_NR);
}
