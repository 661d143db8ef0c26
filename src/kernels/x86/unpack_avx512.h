/* Unpacking of the packed weight containers to bytes with AVX-512 (shared
 * by the VNNI GEMV/panel kernels and the N-in-lanes GEMM). Include after
 * avx512_compat.h so that the SIMDe twins get the same code. */
#ifndef VSQ_UNPACK_AVX512_H
#define VSQ_UNPACK_AVX512_H

#include <stdint.h>
#include <string.h>

/* The 64 unsigned codes of one row chunk, element e in byte e (layouts:
 * docs/kernels.md). 64-bit lane shifts stay within bytes here: bit i of a
 * byte, i + shift <= 7, comes from the same byte. */
static inline __attribute__((always_inline)) __m512i unpack64(const uint8_t *p, int cb) {
    if (cb == 8) return _mm512_loadu_si512((const void *)p);
    const __m512i m4 = _mm512_set1_epi8(15), m2 = _mm512_set1_epi8(3), m1 = _mm512_set1_epi8(1);
    /* 2-bit plane: element 16q + j at bits 2q of byte j (128-bit lane q) */
    const __m512i plane_shift = _mm512_set_epi64(6, 6, 4, 4, 2, 2, 0, 0);
    if (cb == 4 || cb == 6) {
        __m256i x = _mm256_loadu_si256((const __m256i *)p);
        __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(x), _mm256_srli_epi16(x, 4), 1);
        z = _mm512_and_si512(z, m4);
        if (cb == 6) {
            __m512i h = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(p + 32)));
            h = _mm512_and_si512(_mm512_srlv_epi64(h, plane_shift), m2);
            z = _mm512_or_si512(z, _mm512_slli_epi16(h, 4));
        }
        return z;
    }
    /* cb == 3: bits 0-1 from the 2-bit plane; bit 2 of element 8t + j is
     * bit t of byte j of the last 8 bytes (64-bit lane t) */
    __m512i l = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)p));
    l = _mm512_and_si512(_mm512_srlv_epi64(l, plane_shift), m2);
    int64_t b;
    memcpy(&b, p + 16, 8);
    __m512i t = _mm512_srlv_epi64(_mm512_set1_epi64(b), _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0));
    return _mm512_or_si512(l, _mm512_slli_epi16(_mm512_and_si512(t, m1), 2));
}

/* Lane 4L + j = sum of the four int32 lanes of 128-bit lane L of q_j
 * (two levels of unpack + add): the 4 rows' 16-element dots of a chunk. */
static inline __attribute__((always_inline)) __m512i rows4(__m512i q0, __m512i q1, __m512i q2,
                                                           __m512i q3) {
    __m512i s01 = _mm512_add_epi32(_mm512_unpacklo_epi32(q0, q1), _mm512_unpackhi_epi32(q0, q1));
    __m512i s23 = _mm512_add_epi32(_mm512_unpacklo_epi32(q2, q3), _mm512_unpackhi_epi32(q2, q3));
    return _mm512_add_epi32(_mm512_unpacklo_epi64(s01, s23), _mm512_unpackhi_epi64(s01, s23));
}

#endif
