/* models/cnn/quant_avx2.h - the element code of eq. 2 for 8 (AVX2) or 16
 * (AVX-512) floats, bit-identical to act_fast.c's scalar code_of.
 *
 * code_of rounds half away from zero by truncating and comparing the exact
 * fraction with +-0.5 (9 vector operations). Here: truncate(u + copysign(
 * 0.49999997, u)), 0.49999997 = nextafter(0.5, 0): the sum rounds up to
 * the next integer exactly when |frac(u)| >= 0.5 (checked for every float
 * with |u| < 2^16, against code_of). No upper clamp: the callers divide by
 * s = fl(peak / qref) with |x| <= peak, so u <= qref (1 + 2^-22) and it
 * rounds to at most qref = qmax; the lower clamp stays for uintN (x < 0). */
#ifndef VSQ_CNN_QUANT_AVX2_H
#define VSQ_CNN_QUANT_AVX2_H

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VSQ_CNN_SIMD 1

__attribute__((target("avx2"), always_inline)) static inline __m256i vsq_cnn_code8(__m256 u, __m256 qmin) {
    u = _mm256_max_ps(u, qmin);
    __m256 h = _mm256_or_ps(_mm256_and_ps(u, _mm256_set1_ps(-0.0f)), _mm256_set1_ps(0x1.fffffep-2f));
    return _mm256_cvttps_epi32(_mm256_add_ps(u, h));
}

__attribute__((target("avx512f"), always_inline)) static inline __m512i vsq_cnn_code16(__m512 u, __m512 qmin) {
    u = _mm512_max_ps(u, qmin);
    __m512i h = _mm512_or_si512(_mm512_and_si512(_mm512_castps_si512(u), _mm512_set1_epi32((int)0x80000000u)),
                                _mm512_set1_epi32(0x3effffff)); /* 0x1.fffffep-2f */
    return _mm512_cvttps_epi32(_mm512_add_ps(u, _mm512_castsi512_ps(h)));
}
#endif

#endif
