/* AVX-512 VNNI GEMV (LLM decode, m < 4 activation rows): two-level
 * operands with u8 weight scales, every weight container, V = 16/32/64.
 *
 * A GEMV reads each weight byte once, so it is bound by memory bandwidth
 * only if the core consumes weights faster than DRAM delivers them and the
 * loads are in flight early enough; otherwise the compute and the memory
 * time add up (the previous kernel: ~23 GB/s in cache and 15.6 GB/s from
 * DRAM gave 1 / (1/23 + 1/15.6) = 9.3 GB/s, close to the 8.4 measured).
 * Hence: (1) software prefetch a fixed distance ahead in the one
 * sequential stream the panels form; (2) few vector uops per weight byte
 * (AVX-512 has two vector ports, p0 and p5, and shuffles only on p5);
 * (3) weights unpacked once per chunk for all activation rows.
 *
 * Per 64-element chunk of a 4-row panel (paper eq. 5, two-level eq. 7e-7h):
 *   - 4-bit: one 64-byte load holds two rows' nibble planes (32 bytes
 *     each: byte j = u[j] | u[j+32] << 4), so AND gives both rows'
 *     elements 0-31 and shift + AND their elements 32-63; the activations
 *     come as 32-byte broadcasts (load port only). 2 loads, 2 shifts and
 *     4 ANDs per panel chunk instead of 4 x (shift, insert, AND).
 *     Other containers: the row-wise unpack of unpack_avx512.h.
 *   - 4 vpdpbusd (u8 x s8, 4 products per int32 lane, no saturation)
 *     starting from -off * (sum of the 4 activation codes), so each lane
 *     is an exact sum of code * a;
 *   - rows4: two levels of unpack + add leave one register whose lane l is
 *     one (row, 16-element group) dot (vsqk_gemv_lane gives which);
 *   - sw * sa per lane in one vpmaddwd (sw <= 255 and sa <= 32767 are the
 *     low int16 of their lanes, the high ones zero), and the dots times
 *     sw * sa summed in int64 by vpmuldq on even and odd lanes: the
 *     reference's sum of dot * (sw * sa), bit for bit.
 * About 26 vector uops per 144 bytes of W4 V16 weights (was ~35).
 * Compiled natively, and against SIMDe as the *_avx512emu test twin. */
#include <string.h>

#include "kernels/x86/avx512_compat.h"
#include "kernels/kernels_internal.h"
#include "kernels/x86/unpack_avx512.h"

#ifndef AI
#define AI static inline __attribute__((always_inline))
#endif

/* Software prefetch distance per stream in bytes (~14 chunks of W4 V16):
 * measured best of 0.5-4 KiB with 4 streams at 16384^2 (2 KiB: 15.7 GB/s,
 * 4 KiB: 14.3, none: ~12); the prefetches cost load-port slots only. */
#define PF_DIST 2048

/* vpshufb control: lane l takes the scale byte 4 * (vector of its group)
 * + row (chunk scales are vector-major) and zeroes bytes 1-3. */
static __m512i scale_ctl(int cb, int V) {
    int32_t ctl[16];
    for (int l = 0; l < 16; l++) {
        int row, group;
        vsqk_gemv_lane(cb, l, &row, &group);
        ctl[l] = (int32_t)(0x80808000u | (uint32_t)(4 * ((16 * group) / V) + row));
    }
    return _mm512_loadu_si512((const void *)ctl);
}

AI __m512i chunk_scales(const uint8_t *sp, int V, __m512i ctl) {
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
    return _mm512_shuffle_epi8(_mm512_broadcast_i32x4(s), ctl);
}

AI __m512i bcast256(const void *p) {
    return _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)p));
}

/* The 4 rows' unpacked codes of one chunk (cb 4: lo01, hi01, lo23, hi23;
 * else rows 0-3, see the top of the file). */
AI void chunk_codes(const uint8_t *ch, int cb, __m512i u[4]) {
    if (cb == 4) {
        const __m512i m4 = _mm512_set1_epi8(15);
        __m512i x01 = _mm512_loadu_si512((const void *)ch);
        __m512i x23 = _mm512_loadu_si512((const void *)(ch + 64));
        u[0] = _mm512_and_si512(x01, m4);
        u[1] = _mm512_and_si512(_mm512_srli_epi16(x01, 4), m4);
        u[2] = _mm512_and_si512(x23, m4);
        u[3] = _mm512_and_si512(_mm512_srli_epi16(x23, 4), m4);
    } else {
        for (int r = 0; r < 4; r++) u[r] = unpack64(ch + (size_t)r * 8 * cb, cb);
    }
}

/* ev/od += the chunk's 16 (row, group) dots of activation row a8/cz/sal
 * times sw * sa, in int64 (even and odd lanes). */
AI void chunk_dot(const __m512i u[4], __m512i sw, const int8_t *a8, const int32_t *cz,
                  const int32_t *sal, int cb, __m512i *ev, __m512i *od) {
    __m512i q0, q1, q2, q3;
    if (cb == 4) {
        __m512i alo = bcast256(a8), ahi = bcast256(a8 + 32);
        __m512i clo = bcast256(cz), chi = bcast256(cz + 8);
        q0 = _mm512_dpbusd_epi32(clo, u[0], alo);
        q1 = _mm512_dpbusd_epi32(chi, u[1], ahi);
        q2 = _mm512_dpbusd_epi32(clo, u[2], alo);
        q3 = _mm512_dpbusd_epi32(chi, u[3], ahi);
    } else {
        __m512i a = _mm512_loadu_si512((const void *)a8);
        __m512i z = _mm512_loadu_si512((const void *)cz);
        q0 = _mm512_dpbusd_epi32(z, u[0], a);
        q1 = _mm512_dpbusd_epi32(z, u[1], a);
        q2 = _mm512_dpbusd_epi32(z, u[2], a);
        q3 = _mm512_dpbusd_epi32(z, u[3], a);
    }
    __m512i d = rows4(q0, q1, q2, q3);
    __m512i swsa = _mm512_madd_epi16(sw, _mm512_loadu_si512((const void *)sal));
    *ev = _mm512_add_epi64(*ev, _mm512_mul_epi32(d, swsa));
    *od = _mm512_add_epi64(*od, _mm512_mul_epi32(_mm512_srli_epi64(d, 32), _mm512_srli_epi64(swsa, 32)));
}

/* Row sums of panel p from its accumulators, finalized into y (and acc):
 * y = (float)(sum * (gamma_a * gamma_w)) as vsq_gemm_ref. 64-bit lane k
 * of ev holds reduced lane 2k, of od lane 2k + 1. */
AI void finish(const vsq_packed_w *w, const vsqk_gemv_act *g, size_t i, size_t p, __m512i ev,
                   __m512i od, float *y, int64_t *acc) {
    int64_t e[8], o[8], s[VSQK_NR] = {0, 0, 0, 0};
    _mm512_storeu_si512((void *)e, ev);
    _mm512_storeu_si512((void *)o, od);
    for (int l = 0; l < 16; l++) {
        int row, group;
        vsqk_gemv_lane(w->cbits, l, &row, &group);
        s[row] += l % 2 ? o[l / 2] : e[l / 2];
    }
    double ga = (double)g->gamma[i];
    for (size_t r = 0; r < VSQK_NR && p * VSQK_NR + r < w->n; r++) {
        size_t row = p * VSQK_NR + r, k = i * w->n + row;
        if (acc) acc[k] = s[r];
        y[k] = (float)((double)s[r] * (ga * (double)w->gamma[row]));
    }
}

/* NP panels at once (NP sequential streams in flight, the activation
 * loads shared), all MR activation rows per chunk. */
AI void gemv_panels(const vsq_packed_w *w, const vsqk_gemv_act *g, size_t p, float *y,
                    int64_t *acc, int cb, int V, int MR, int NP) {
    const size_t kp = w->kp, nch = kp / VSQK_CHUNK, cbytes = 8 * (size_t)cb;
    const size_t chb = VSQK_NR * cbytes + VSQK_NR * (VSQK_CHUNK / (size_t)V); /* = chunk_bytes */
    const __m512i ctl = scale_ctl(cb, V);
    __m512i ev[4][3], od[4][3];
    for (int q = 0; q < NP; q++)
        for (int i = 0; i < MR; i++) ev[q][i] = od[q][i] = _mm512_setzero_si512();
    const uint8_t *pp = w->data + p * w->panel_bytes;
    for (size_t c = 0; c < nch; c++) {
        for (int q = 0; q < NP; q++) {
            const uint8_t *ch = pp + q * w->panel_bytes + c * chb;
            for (size_t l = 0; l < chb; l += 64)
                _mm_prefetch((const char *)ch + PF_DIST + l, _MM_HINT_T0);
            __m512i u[4], sw = chunk_scales(ch + VSQK_NR * cbytes, V, ctl);
            chunk_codes(ch, cb, u);
            for (int i = 0; i < MR; i++)
                chunk_dot(u, sw, g->c8 + (size_t)i * kp + VSQK_CHUNK * c,
                          g->corr + (size_t)i * kp / 4 + 16 * c, g->sal + (size_t)i * kp / 4 + 16 * c,
                          cb, &ev[q][i], &od[q][i]);
        }
    }
    for (int q = 0; q < NP; q++)
        for (int i = 0; i < MR; i++) finish(w, g, (size_t)i, p + (size_t)q, ev[q][i], od[q][i], y, acc);
}

AI void gemv_block(const vsq_packed_w *w, const vsqk_gemv_act *g, size_t p0, size_t p1, float *y,
                   int64_t *acc, int cb, int V, int MR) {
    const int NP = MR == 1 ? 4 : MR == 2 ? 2 : 1;
    size_t p = p0;
    for (; p + (size_t)NP <= p1; p += (size_t)NP) gemv_panels(w, g, p, y, acc, cb, V, MR, NP);
    for (; p < p1; p++) gemv_panels(w, g, p, y, acc, cb, V, MR, 1);
}

#define GEMV(CB, V, MR)                                                                         \
    static void gemv_##CB##_##V##_##MR(const vsq_packed_w *w, const vsqk_gemv_act *g, size_t p0, \
                                       size_t p1, float *y, int64_t *acc) {                     \
        gemv_block(w, g, p0, p1, y, acc, CB, V, MR);                                            \
    }
#define GEMV_CB(CB) GEMV(CB, 16, 1) GEMV(CB, 16, 2) GEMV(CB, 16, 3) GEMV(CB, 32, 1) \
    GEMV(CB, 32, 2) GEMV(CB, 32, 3) GEMV(CB, 64, 1) GEMV(CB, 64, 2) GEMV(CB, 64, 3)
GEMV_CB(3) GEMV_CB(4) GEMV_CB(6) GEMV_CB(8)

#define ROW(CB) {{gemv_##CB##_16_1, gemv_##CB##_16_2, gemv_##CB##_16_3}, \
                 {gemv_##CB##_32_1, gemv_##CB##_32_2, gemv_##CB##_32_3}, \
                 {gemv_##CB##_64_1, gemv_##CB##_64_2, gemv_##CB##_64_3}}

void VSQK_A512(vsqk_gemv)(const vsq_packed_w *w, const vsqk_gemv_act *g, size_t p0, size_t p1,
                          float *y, int64_t *acc) {
    static const vsqk_gemv_fn t[4][3][3] = {ROW(3), ROW(4), ROW(6), ROW(8)};
    int cbi = w->cbits == 3 ? 0 : w->cbits == 4 ? 1 : w->cbits == 6 ? 2 : 3;
    int vi = w->vec_len == 16 ? 0 : w->vec_len == 32 ? 1 : 2;
    t[cbi][vi][g->m - 1](w, g, p0, p1, y, acc);
    /* clean upper register state for the SSE code that follows (legacy SSE
     * instructions after dirty zmm state run with false dependencies:
     * measured 2x slower LLM decode when this was missing) */
#ifndef VSQ_AVX512_EMULATE /* SIMDe has no upper state to clean */
    _mm256_zeroupper();
#endif
}
