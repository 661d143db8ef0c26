/* 256-bit unpacking of the packed weight chunks, shared by the AVX2 and
 * AVX-VNNI GEMV kernels (gemv8_avx2.c, gemv8_avxvnni.c). Include after the
 * intrinsics (native <immintrin.h> or SIMDe's) and after defining AI. */
#ifndef VSQ_KERNELS_X86_UNPACK256_H
#define VSQ_KERNELS_X86_UNPACK256_H

#include <stdint.h>
#include <string.h>

/* The chunk's 64 unsigned codes of one row as bytes: lo = elements 0..31,
 * hi = elements 32..63 (layouts: docs/kernels.md). */
AI void unpack_u8(const uint8_t *p, int cb, __m256i *lo, __m256i *hi) {
    const __m256i m4 = _mm256_set1_epi8(15), m2 = _mm256_set1_epi8(3), m1 = _mm256_set1_epi8(1);
    if (cb == 4 || cb == 6) {
        __m256i x = _mm256_loadu_si256((const __m256i *)p);
        *lo = _mm256_and_si256(x, m4);
        *hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), m4);
        if (cb == 6) { /* bits 4-5: byte j holds elements j + 16q at bits 2q */
            __m256i h = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(p + 32)));
            __m256i l2 = _mm256_blend_epi32(h, _mm256_srli_epi16(h, 2), 0xf0);
            __m256i h2 = _mm256_blend_epi32(_mm256_srli_epi16(h, 4), _mm256_srli_epi16(h, 6), 0xf0);
            *lo = _mm256_or_si256(*lo, _mm256_slli_epi16(_mm256_and_si256(l2, m2), 4));
            *hi = _mm256_or_si256(*hi, _mm256_slli_epi16(_mm256_and_si256(h2, m2), 4));
        }
        return;
    }
    /* cb == 3: bits 0-1 as the 6-bit high plane; bit 2 of element j + 8t
     * is bit t of byte j of the last 8 bytes */
    __m256i l = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p));
    __m256i l0 = _mm256_blend_epi32(l, _mm256_srli_epi16(l, 2), 0xf0);
    __m256i l1 = _mm256_blend_epi32(_mm256_srli_epi16(l, 4), _mm256_srli_epi16(l, 6), 0xf0);
    int64_t b;
    memcpy(&b, p + 16, 8);
    __m256i bb = _mm256_set1_epi64x(b);
    __m256i t0 = _mm256_srlv_epi64(bb, _mm256_setr_epi64x(0, 1, 2, 3));
    __m256i t1 = _mm256_srlv_epi64(bb, _mm256_setr_epi64x(4, 5, 6, 7));
    *lo = _mm256_or_si256(_mm256_and_si256(l0, m2), _mm256_slli_epi16(_mm256_and_si256(t0, m1), 2));
    *hi = _mm256_or_si256(_mm256_and_si256(l1, m2), _mm256_slli_epi16(_mm256_and_si256(t1, m1), 2));
}

/* The chunk's u8 scales (vector-major: byte 4j + r), in both 128-bit halves. */
AI __m256i load_scales(const uint8_t *sp, int V) {
    __m128i s;
    if (V == 16) s = _mm_loadu_si128((const __m128i *)sp);
    else if (V == 32) s = _mm_loadl_epi64((const __m128i *)sp);
    else {
        int32_t v;
        memcpy(&v, sp, 4);
        s = _mm_cvtsi32_si128(v);
    }
    return _mm256_broadcastsi128_si256(s);
}

#endif
