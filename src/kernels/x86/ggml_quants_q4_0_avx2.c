/* AVX2 Q4_0 x Q8_0 block dot product (kernels/ggml_quants.h). The 32
 * nibbles of a block are widened to int8 codes q - 8 in [-8, 7]; the block's
 * integer sum uses vpmaddubsw on |q - 8| (unsigned) and the activation codes
 * carrying the weight's sign: pair sums are at most 2 x 8 x 127, so
 * nothing saturates and the sum is exact (activation codes are in
 * [-127, 127], so negating them cannot overflow). Two blocks per trip
 * into two accumulators hide the FMA latency; the result differs from the
 * reference only in float summation order. */
#include <immintrin.h>
#include <stdint.h>

#include "kernels/ggml_quants.h"

static inline float f16_at(const uint8_t *p) {
    return _cvtsh_ss((unsigned short)(p[0] | p[1] << 8));
}

/* 32 int8 codes q - 8 of one block's 16 bytes: low nibbles are elements
 * 0..15, high nibbles 16..31 (ggml's layout). */
static inline __m256i q4_0_codes(const uint8_t *q) {
    __m128i b = _mm_loadu_si128((const __m128i *)q);
    __m256i u = _mm256_set_m128i(_mm_srli_epi16(b, 4), b);
    return _mm256_sub_epi8(_mm256_and_si256(u, _mm256_set1_epi8(15)), _mm256_set1_epi8(8));
}

/* 8 int32 partial sums of one block, as floats (|sum| < 2^24: exact). */
static inline __m256 block_sum(const uint8_t *w, const uint8_t *a) {
    __m256i wq = q4_0_codes(w + 2);
    __m256i aq = _mm256_loadu_si256((const __m256i *)(a + 4));
    __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(aq, wq));
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p, _mm256_set1_epi16(1)));
}

static inline float hsum(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

float vsq_vec_dot_q4_0_q8_0_avx2(const uint8_t *w, const uint8_t *a, size_t n) {
    enum { WB = GGML_Q4_0_BLOCK_BYTES, AB = GGML_Q8_BLOCK_BYTES };
    size_t nb = n / GGML_QK, i = 0;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (; i + 1 < nb; i += 2, w += 2 * WB, a += 2 * AB) {
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16_at(w) * f16_at(a)), block_sum(w, a), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(f16_at(w + WB) * f16_at(a + AB)),
                               block_sum(w + WB, a + AB), acc1);
    }
    if (i < nb) acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16_at(w) * f16_at(a)), block_sum(w, a), acc0);
    return hsum(_mm256_add_ps(acc0, acc1));
}
