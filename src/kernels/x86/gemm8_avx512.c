/* AVX-512 VNNI GEMM micro-kernel in the N-in-lanes layout (driver:
 * gemm8.c; layouts: kernels_internal.h, docs/kernels.md).
 *
 * A zmm of weights holds 16 output channels x 4 consecutive K bytes (the
 * stored unsigned codes u = code + off), so one vpdpbusd with 4 activation
 * bytes broadcast from memory ({1to16}) adds 4 MACs to each of 16 output
 * channels: the register tile is MR = 4 activation rows x NR = 32 channels
 * (2 zmm), 8 vpdpbusd per K quad, with no horizontal reduction at all. The
 * per-vector dot of (row i, channel j, vector v) is the lane itself: it
 * starts at -off * sum(a_i over v) (one vpbroadcastd from memory) which
 * turns the u * a sums into code * a sums (paper eq. 5, inner sum).
 *
 * Scale step, once per vector (eq. 5/6: dot * sw * sa, summed exactly):
 *   t = dot * sw in int32: vpmaddwd when |dot| fits int16 (the sign
 *       extension in the high half meets sw's zero high half), else
 *       vpmulld; exact because V * max|w| * max|a| * max sw < 2^31
 *       (checked by the driver);
 *   acc += t * sa in int64: vpmuldq on the even lanes and on the odd lanes
 *       shifted down, sa broadcast from memory ({1to8}).
 * So the int64 sums equal vsq_gemm_ref's bit for bit, with no bound below
 * int64 (the driver checks that). Cost per row, 16 channels and vector:
 * V/4 vpdpbusd + 6 or 7 uops (see docs/kernels.md for the roofline).
 *
 * The weight repack (once per activation block, by the driver) unpacks
 * 16 rows x 64 K of the 4-row panel layout and transposes them as a
 * 16 x 16 matrix of dwords (4 shuffle stages). */
#include <string.h>

#include "kernels/x86/avx512_compat.h"
#include "kernels/kernels_internal.h"
#include "kernels/x86/unpack_avx512.h"

#define G8I static inline __attribute__((always_inline))

/* ---- weight repack: 4-row panels -> N-in-lanes groups of 32 channels ---- */

/* z[q] dword c = r[c] dword q (16 x 16 dword transpose). */
G8I void transpose16(__m512i r[16], __m512i z[16]) {
    __m512i t[16], u[16];
    for (int i = 0; i < 8; i++) { /* lane L: r2i[4L], r2i+1[4L], r2i[4L+1], r2i+1[4L+1] */
        t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    for (int j = 0; j < 4; j++) { /* u[4j+s] lane L = channels 4j..4j+3 at quad 4L+s */
        u[4 * j + 0] = _mm512_unpacklo_epi64(t[4 * j], t[4 * j + 2]);
        u[4 * j + 1] = _mm512_unpackhi_epi64(t[4 * j], t[4 * j + 2]);
        u[4 * j + 2] = _mm512_unpacklo_epi64(t[4 * j + 1], t[4 * j + 3]);
        u[4 * j + 3] = _mm512_unpackhi_epi64(t[4 * j + 1], t[4 * j + 3]);
    }
    for (int s = 0; s < 4; s++) { /* 4 x 4 transpose of 128-bit lanes */
        __m512i va = _mm512_shuffle_i32x4(u[s], u[4 + s], 0x44);
        __m512i vb = _mm512_shuffle_i32x4(u[s], u[4 + s], 0xEE);
        __m512i wa = _mm512_shuffle_i32x4(u[8 + s], u[12 + s], 0x44);
        __m512i wb = _mm512_shuffle_i32x4(u[8 + s], u[12 + s], 0xEE);
        z[0 + s] = _mm512_shuffle_i32x4(va, wa, 0x88);
        z[4 + s] = _mm512_shuffle_i32x4(va, wa, 0xDD);
        z[8 + s] = _mm512_shuffle_i32x4(vb, wb, 0x88);
        z[12 + s] = _mm512_shuffle_i32x4(vb, wb, 0xDD);
    }
}

/* The 16 channels' scales of vector j of a chunk (4 panels from pp), as
 * int32 lanes in channel order. u8: byte 4j + r of each panel's chunk
 * scales; u16: the same index in 2-byte units. */
G8I __m512i group_scales(const uint8_t *sc[4], int j, int u16) {
    __m256i x;
    if (!u16) {
        int32_t v[4];
        for (int p = 0; p < 4; p++) memcpy(&v[p], sc[p] + 4 * j, 4);
        x = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)v));
    } else {
        int64_t v[4];
        for (int p = 0; p < 4; p++) memcpy(&v[p], sc[p] + 8 * j, 8);
        x = _mm256_loadu_si256((const __m256i *)v);
    }
    /* zero-extend the 16 u16 to dwords: word 2c = word c of x, odd words 0 */
    const __m512i idx = _mm512_set_epi16(0, 15, 0, 14, 0, 13, 0, 12, 0, 11, 0, 10, 0, 9, 0, 8, 0, 7,
                                         0, 6, 0, 5, 0, 4, 0, 3, 0, 2, 0, 1, 0, 0);
    return _mm512_maskz_permutexvar_epi16(0x55555555u, idx, _mm512_castsi256_si512(x));
}

/* Stored byte u (0..2^b-1) minus the code offset, modulo 256. For 8-bit
 * codes (off = 128) the subtraction wraps, which SIMDe's portable fallback
 * evaluates in signed char and UBSan reports as overflow; u ^ 0x80 is the
 * same byte without arithmetic. Narrower codes never wrap. */
G8I __m512i minus_off(__m512i u, __m512i off, int off_val) {
    return off_val == 128 ? _mm512_xor_si512(u, off) : _mm512_sub_epi8(u, off);
}

G8I void pack_group(const vsq_packed_w *w, size_t group, uint8_t *dst, int cb, int ua) {
    const int off_val = ua ? w->off : 0; /* ua: signed codes */
    const __m512i off = _mm512_set1_epi8((char)off_val);
    const int V = w->vec_len, qpv = V / 4, vpc = VSQK_CHUNK / V;
    const size_t vbytes = VSQK_G8_VBYTES(V), nch = w->kp / VSQK_CHUNK;
    const int u16 = w->stype == VSQ_PSCALE_U16;
    for (int h = 0; h < 2; h++) {
        const uint8_t *pp[4];
        int live[4];
        for (int p = 0; p < 4; p++) {
            size_t panel = group * 8 + (size_t)h * 4 + (size_t)p;
            live[p] = panel < w->n_panels;
            pp[p] = w->data + (live[p] ? panel : 0) * w->panel_bytes;
        }
        for (size_t c = 0; c < nch; c++) {
            __m512i r[16], z[16];
            const uint8_t *sc[4];
            for (int p = 0; p < 4; p++) {
                const uint8_t *ch = pp[p] + c * w->chunk_bytes;
                sc[p] = ch + VSQK_NR * w->code_bytes;
                for (int rr = 0; rr < 4; rr++)
                    r[4 * p + rr] = live[p] ? minus_off(unpack64(ch + rr * w->code_bytes, cb), off,
                                                        off_val)
                                            : _mm512_setzero_si512();
            }
            transpose16(r, z);
            for (int q = 0; q < 16; q++) {
                size_t v = c * (size_t)vpc + (size_t)(q / qpv);
                _mm512_storeu_si512((void *)(dst + v * vbytes + (size_t)(q % qpv) * 128 + 64 * h),
                                    z[q]);
            }
            for (int j = 0; j < vpc; j++) {
                __m512i s = group_scales(sc, j, u16);
                int alive = 0;
                for (int p = 0; p < 4; p++) alive |= live[p] << p;
                /* channels of missing panels: scale 0 (their sums are discarded) */
                s = _mm512_maskz_mov_epi32((uint16_t)(((alive & 1) ? 0x000f : 0) |
                                                       ((alive & 2) ? 0x00f0 : 0) |
                                                       ((alive & 4) ? 0x0f00 : 0) |
                                                       ((alive & 8) ? 0xf000 : 0)),
                                           s);
                size_t v = c * (size_t)vpc + (size_t)j;
                _mm512_storeu_si512((void *)(dst + v * vbytes + (size_t)qpv * 128 + 64 * h), s);
            }
        }
    }
}

void VSQK_A512(vsqk_g8_pack_b)(const vsq_packed_w *w, size_t group, uint8_t *dst, int ua) {
    switch (w->cbits) { /* constant cb lets the unpacking specialize */
    case 3: pack_group(w, group, dst, 3, ua); break;
    case 4: pack_group(w, group, dst, 4, ua); break;
    case 6: pack_group(w, group, dst, 6, ua); break;
    default: pack_group(w, group, dst, 8, ua);
    }
}

/* ---- micro-kernel: MR = 4 rows x 32 channels, the whole K ---- */

G8I __m512i bcast32(const int8_t *p) {
    int32_t x;
    memcpy(&x, p, 4);
    return _mm512_set1_epi32(x);
}

G8I __m512i bcast64(const int64_t *p) { return _mm512_set1_epi64(*p); }

/* Channels 16 g + 8 h .. + 7 of block row r from the int64 sums s. */
G8I void store8(const vsqk_g8_out *o, size_t r, int g, int h, __m512i s) {
    size_t j0 = (size_t)(16 * g + 8 * h);
    if (r >= o->rows || j0 >= o->cols) return;
    size_t left = o->cols - j0, cnt = left >= 8 ? 8 : left;
#ifdef VSQ_AVX512_EMULATE
    /* SIMDe lacks the masked and int64 -> double forms: the same
     * operations per lane (this build only checks the kernels' logic) */
    int64_t v[8];
    _mm512_storeu_si512((void *)v, s);
    for (size_t j = 0; j < cnt; j++) {
        if (o->acc) o->acc[r * o->ldy + j0 + j] = v[j];
        double f = (double)o->gamma_a[r] * (double)o->gamma_w[j0 + j];
        o->y[r * o->ldy + j0 + j] = (float)((double)v[j] * f);
    }
#else
    __mmask8 k = (__mmask8)((1u << cnt) - 1);
    if (o->acc) _mm512_mask_storeu_epi64(o->acc + r * o->ldy + j0, k, s);
    __m512d gw = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(k, o->gamma_w + j0));
    __m512d f = _mm512_mul_pd(_mm512_set1_pd((double)o->gamma_a[r]), gw);
    __m256 y = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtepi64_pd(s), f));
    _mm256_mask_storeu_ps(o->y + r * o->ldy + j0, k, y);
#endif
}

G8I void store16(const vsqk_g8_out *o, size_t r, int g, __m512i e, __m512i od) {
    const __m512i lo = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0);
    const __m512i hi = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
    store8(o, r, g, 0, _mm512_permutex2var_epi64(e, lo, od));
    store8(o, r, g, 1, _mm512_permutex2var_epi64(e, hi, od));
}
#define G8_OUT(O, R, G, E, OD) store16(O, R, G, E, OD)

/* Rows r0..r0+3 of the block x the group's 32 channels. */
G8I void ukr(const vsqk_g8_ablock *ab, size_t r0, const uint8_t *b, const vsqk_g8_out *o, int V,
             int mul16, int ua) {
    const int qpv = V / 4;
    const size_t kp = ab->kp, nvec = ab->nvec, vbytes = VSQK_G8_VBYTES(V);
    const int8_t *a0 = ab->a + r0 * kp, *a1 = a0 + kp, *a2 = a1 + kp, *a3 = a2 + kp;
    const int32_t *c0 = ab->corr + r0 * nvec;
    const int64_t *s0 = ab->sa + r0 * nvec;
    __m512i e00 = _mm512_setzero_si512(), e01 = e00, e10 = e00, e11 = e00, e20 = e00, e21 = e00,
            e30 = e00, e31 = e00;
    __m512i o00 = e00, o01 = e00, o10 = e00, o11 = e00, o20 = e00, o21 = e00, o30 = e00, o31 = e00;
    for (size_t v = 0; v < nvec; v++) {
        const uint8_t *bv = b + v * vbytes;
        __m512i d00 = _mm512_set1_epi32(c0[v]), d01 = d00;
        __m512i d10 = _mm512_set1_epi32(c0[nvec + v]), d11 = d10;
        __m512i d20 = _mm512_set1_epi32(c0[2 * nvec + v]), d21 = d20;
        __m512i d30 = _mm512_set1_epi32(c0[3 * nvec + v]), d31 = d30;
        const size_t e = v * (size_t)V;
/* u8 x s8: stored codes x activations, or (ua) activations x signed codes */
#define G8_DP(D, W, X) (ua ? _mm512_dpbusd_epi32(D, X, W) : _mm512_dpbusd_epi32(D, W, X))
#pragma GCC unroll 16
        for (int q = 0; q < qpv; q++) {
            __m512i w0 = _mm512_loadu_si512((const void *)(bv + 128 * q));
            __m512i w1 = _mm512_loadu_si512((const void *)(bv + 128 * q + 64));
            __m512i x = bcast32(a0 + e + 4 * q);
            d00 = G8_DP(d00, w0, x);
            d01 = G8_DP(d01, w1, x);
            x = bcast32(a1 + e + 4 * q);
            d10 = G8_DP(d10, w0, x);
            d11 = G8_DP(d11, w1, x);
            x = bcast32(a2 + e + 4 * q);
            d20 = G8_DP(d20, w0, x);
            d21 = G8_DP(d21, w1, x);
            x = bcast32(a3 + e + 4 * q);
            d30 = G8_DP(d30, w0, x);
            d31 = G8_DP(d31, w1, x);
        }
#undef G8_DP
        const __m512i sw0 = _mm512_loadu_si512((const void *)(bv + 128 * qpv));
        const __m512i sw1 = _mm512_loadu_si512((const void *)(bv + 128 * qpv + 64));
#define G8_STEP(D, SW, SA, E, O)                                                               \
    do {                                                                                       \
        __m512i t_ = mul16 ? _mm512_madd_epi16(D, SW) : _mm512_mullo_epi32(D, SW);             \
        E = _mm512_add_epi64(E, _mm512_mul_epi32(t_, SA));                                     \
        O = _mm512_add_epi64(O, _mm512_mul_epi32(_mm512_srli_epi64(t_, 32), SA));              \
    } while (0)
        __m512i sa = bcast64(s0 + v);
        G8_STEP(d00, sw0, sa, e00, o00);
        G8_STEP(d01, sw1, sa, e01, o01);
        sa = bcast64(s0 + nvec + v);
        G8_STEP(d10, sw0, sa, e10, o10);
        G8_STEP(d11, sw1, sa, e11, o11);
        sa = bcast64(s0 + 2 * nvec + v);
        G8_STEP(d20, sw0, sa, e20, o20);
        G8_STEP(d21, sw1, sa, e21, o21);
        sa = bcast64(s0 + 3 * nvec + v);
        G8_STEP(d30, sw0, sa, e30, o30);
        G8_STEP(d31, sw1, sa, e31, o31);
#undef G8_STEP
    }
    /* even[m] = channel 2m, odd[m] = channel 2m + 1: interleave back, then
     * vsq_gemm_ref's finalization in 8 double lanes (same roundings) */
    G8_OUT(o, r0 + 0, 0, e00, o00);
    G8_OUT(o, r0 + 0, 1, e01, o01);
    G8_OUT(o, r0 + 1, 0, e10, o10);
    G8_OUT(o, r0 + 1, 1, e11, o11);
    G8_OUT(o, r0 + 2, 0, e20, o20);
    G8_OUT(o, r0 + 2, 1, e21, o21);
    G8_OUT(o, r0 + 3, 0, e30, o30);
    G8_OUT(o, r0 + 3, 1, e31, o31);
}

G8I void block(const vsqk_g8_ablock *ab, const uint8_t *b, const vsqk_g8_out *o, int V,
               int mul16, int ua) {
    for (size_t r = 0; r < ab->rows; r += VSQK_G8_MR) ukr(ab, r, b, o, V, mul16, ua);
}

#define G8_BLOCK(V, M, U)                                                                      \
    static void block_##V##_##M##_##U(const vsqk_g8_ablock *ab, const uint8_t *b,              \
                                      const vsqk_g8_out *o) {                                  \
        block(ab, b, o, V, M, U);                                                              \
    }
G8_BLOCK(16, 0, 0) G8_BLOCK(16, 1, 0) G8_BLOCK(32, 0, 0) G8_BLOCK(32, 1, 0) G8_BLOCK(64, 0, 0)
G8_BLOCK(64, 1, 0) G8_BLOCK(16, 0, 1) G8_BLOCK(16, 1, 1) G8_BLOCK(32, 0, 1) G8_BLOCK(32, 1, 1)
G8_BLOCK(64, 0, 1) G8_BLOCK(64, 1, 1)

void VSQK_A512(vsqk_g8_block)(const vsqk_g8_ablock *ab, const uint8_t *b, const vsqk_g8_out *o) {
    static const vsqk_g8_block_fn t[2][3][2] = {
        {{block_16_0_0, block_16_1_0}, {block_32_0_0, block_32_1_0}, {block_64_0_0, block_64_1_0}},
        {{block_16_0_1, block_16_1_1}, {block_32_0_1, block_32_1_1}, {block_64_0_1, block_64_1_1}}};
    t[ab->ua != 0][ab->V == 16 ? 0 : ab->V == 32 ? 1 : 2][ab->mul16 != 0](ab, b, o);
}
