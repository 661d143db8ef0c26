/* AVX2 versions of the ggml block dot products (kernels/ggml_quants.h).
 * Integer block sums are exact (vpmaddubsw of unsigned 4-bit or |int8|
 * codes with int8 activations cannot saturate: 2 x 15 x 127 and
 * 2 x 127 x 127 < 32767); the per-block float scaling is accumulated in 8
 * lanes, so the result differs from the reference only in float summation
 * order. */
#include <immintrin.h>
#include <stdint.h>

#include "kernels/ggml_quants.h"
#include "quant/quant_internal.h"

static inline float f16_at(const uint8_t *p) {
    return _cvtsh_ss((unsigned short)(p[0] | p[1] << 8));
}

/* 8 int32 partial sums of 32 u8 x i8 products. */
static inline __m256i dot_u8_i8(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

static inline float hsum(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

float vsq_vec_dot_q4_1_q8_1_avx2(const uint8_t *w, const uint8_t *a, size_t n) {
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    const __m128i lo4 = _mm_set1_epi8(15);
    for (size_t i = 0; i < n / GGML_QK; i++, w += 20, a += GGML_Q8_BLOCK_BYTES) {
        __m128i q = _mm_loadu_si128((const __m128i *)(w + 4));
        __m256i wq = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), lo4),
                                      _mm_and_si128(q, lo4));
        __m256i aq = _mm256_loadu_si256((const __m256i *)(a + 4));
        __m256 isum = _mm256_cvtepi32_ps(dot_u8_i8(wq, aq));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_at(w) * f16_at(a)), isum, acc);
        mins += f16_at(w + 2) * f16_at(a + 2);
    }
    return hsum(acc) + mins;
}

float vsq_vec_dot_q8_0_q8_0_avx2(const uint8_t *w, const uint8_t *a, size_t n) {
    __m256 acc = _mm256_setzero_ps();
    for (size_t i = 0; i < n / GGML_QK; i++, w += 34, a += GGML_Q8_BLOCK_BYTES) {
        __m256i wq = _mm256_loadu_si256((const __m256i *)(w + 2));
        __m256i aq = _mm256_loadu_si256((const __m256i *)(a + 4));
        /* |w| . sign(a, w): unsigned x signed for vpmaddubsw */
        __m256i isum = dot_u8_i8(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(aq, wq));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_at(w) * f16_at(a)), _mm256_cvtepi32_ps(isum), acc);
    }
    return hsum(acc);
}
