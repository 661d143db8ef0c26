/* AVX2 variant of vsq_matvec_f32 (matvec_f32.c): the same operations in
 * the same order (one ymm = the eight partial sums of a row; mul then add,
 * never fused), four rows at a time so that four weight streams are in
 * flight, plus a software prefetch ahead of each. */
#include <immintrin.h>

#include "kernels/kernels_internal.h"

/* ((s0+s4)+(s1+s5))+((s2+s6)+(s3+s7)) of the lanes of v. */
static inline float combine8(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    __m128 p = _mm_add_ps(lo, hi); /* s0+s4, s1+s5, s2+s6, s3+s7 */
    float t[4];
    _mm_storeu_ps(t, p);
    return (t[0] + t[1]) + (t[2] + t[3]);
}

static inline float tail(const float *w, const float *x, size_t c8, size_t cols, float v) {
    for (size_t j = c8; j < cols; j++) v += w[j] * x[j];
    return v;
}

void vsqk_matvec_rows_avx2(const float *w, const float *x, float *y, size_t r0, size_t r1,
                           size_t cols) {
    size_t c8 = cols & ~(size_t)7, i = r0;
    for (; i + 4 <= r1; i += 4) {
        const float *w0 = w + i * cols, *w1 = w0 + cols, *w2 = w1 + cols, *w3 = w2 + cols;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t j = 0; j < c8; j += 8) {
            __m256 xv = _mm256_loadu_ps(x + j);
            _mm_prefetch((const char *)(w0 + j) + 1024, _MM_HINT_T0);
            _mm_prefetch((const char *)(w1 + j) + 1024, _MM_HINT_T0);
            _mm_prefetch((const char *)(w2 + j) + 1024, _MM_HINT_T0);
            _mm_prefetch((const char *)(w3 + j) + 1024, _MM_HINT_T0);
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_loadu_ps(w0 + j), xv));
            a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_loadu_ps(w1 + j), xv));
            a2 = _mm256_add_ps(a2, _mm256_mul_ps(_mm256_loadu_ps(w2 + j), xv));
            a3 = _mm256_add_ps(a3, _mm256_mul_ps(_mm256_loadu_ps(w3 + j), xv));
        }
        y[i] = tail(w0, x, c8, cols, combine8(a0));
        y[i + 1] = tail(w1, x, c8, cols, combine8(a1));
        y[i + 2] = tail(w2, x, c8, cols, combine8(a2));
        y[i + 3] = tail(w3, x, c8, cols, combine8(a3));
    }
    for (; i < r1; i++) y[i] = vsqk_dot8_ref(w + i * cols, x, cols);
}
