/* Register-only throughput loops for the benchmark's physical limits:
 * int8 dot as vpmaddubsw + vpmaddwd (the AVX2 int8 idiom, 32 MACs per
 * pair), vpmaddwd alone (16 int16 MACs, what the packed kernels use) and
 * fp32 FMA. The int8 loops carry their chains only through vpaddd, so
 * eight chains fill both multiply ports; the FMA loop carries its chains
 * through the FMA itself (latency 4 x 2 ports) and needs >= 8: 12.
 * Returns ops (2 per MAC). */
#include <immintrin.h>
#include <stdint.h>

#include "kernels/kernels_internal.h"

#define REP8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

/* Each step is one asm statement (the product into a scratch register,
 * then vpaddd into the chain's accumulator): opaque to the compiler, so it
 * neither merges the steps (same inputs) nor copies the accumulators (GCC
 * 12 added 12 register moves per 6 intrinsic steps, one port's worth).
 * Eight chains; the chains run only through the 1-cycle vpaddd. */
double vsqk_peak_int8_avx2(long iters) {
    const __m256i x = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2), one = _mm256_set1_epi16(1);
#define DECLA(i) __m256i a##i = _mm256_set1_epi32(i);
#define STEP8(i)                                                                               \
    {                                                                                          \
        __m256i t_;                                                                            \
        __asm__("vpmaddubsw %[b], %[x], %[t]\n\tvpmaddwd %[one], %[t], %[t]\n\t"               \
                "vpaddd %[t], %[a], %[a]"                                                      \
                : [a] "+x"(a##i), [t] "=&x"(t_)                                                \
                : [x] "x"(x), [b] "x"(b), [one] "x"(one));                                     \
    }
#define SUMA(i) s = _mm256_add_epi32(s, a##i);
    REP8(DECLA)
    for (long i = 0; i < iters; i++) {
        REP8(STEP8)
    }
    __m256i s = _mm256_setzero_si256();
    REP8(SUMA)
    int32_t r = _mm256_cvtsi256_si32(s);
    __asm__ volatile("" ::"r"(r));
    return (double)iters * 8 * 32 * 2;
}

double vsqk_peak_madd16_avx2(long iters) {
    const __m256i x = _mm256_set1_epi16(3), b = _mm256_set1_epi16(-2);
#define STEP16(i)                                                                              \
    {                                                                                          \
        __m256i t_;                                                                            \
        __asm__("vpmaddwd %[b], %[x], %[t]\n\tvpaddd %[t], %[a], %[a]"                          \
                : [a] "+x"(a##i), [t] "=&x"(t_)                                                \
                : [x] "x"(x), [b] "x"(b));                                                     \
    }
    REP8(DECLA)
    for (long i = 0; i < iters; i++) {
        REP8(STEP16)
    }
    __m256i s = _mm256_setzero_si256();
    REP8(SUMA)
    int32_t r = _mm256_cvtsi256_si32(s);
    __asm__ volatile("" ::"r"(r));
    return (double)iters * 8 * 16 * 2;
}

/* 12 FMA chains in named registers: latency 4 x 2 ports needs >= 8 in
 * flight; 12 leave slack (checked in the objdump: 12 vfmadd231ps on
 * ymm registers, no memory operands, per iteration). */
#define REP12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
double vsqk_peak_fma_avx2(long iters) {
    __m256 a = _mm256_set1_ps(1.0000001f), b = _mm256_set1_ps(0.9999999f);
#define DECLF(i) __m256 f##i = _mm256_set1_ps((float)(i));
#define STEPF(i) f##i = _mm256_fmadd_ps(f##i, a, b);
#define SUMF(i) s += _mm256_cvtss_f32(f##i);
    REP12(DECLF)
    for (long i = 0; i < iters; i++) {
        REP12(STEPF)
        __asm__ volatile("" : "+x"(a), "+x"(b));
    }
    float s = 0;
    REP12(SUMF)
    __asm__ volatile("" ::"x"(s));
    return (double)iters * 12 * 8 * 2;
}

/* Sum of n floats (n a multiple of 128, a 32-byte aligned) read as 8
 * interleaved sequential streams with 256-bit loads: on this CPU one
 * stream reaches ~14 GB/s, eight ~20 GB/s (more misses in flight, as
 * OpenBLAS's multi-row SGEMV gets); the benchmark's read limit must be
 * the best any reader can do. */
float vsqk_read_avx2(const float *a, size_t n) {
    __m256 t[8];
    for (int s = 0; s < 8; s++) t[s] = _mm256_setzero_ps();
    size_t seg = n / 8;
    for (size_t i = 0; i < seg; i += 16)
        for (int s = 0; s < 8; s++)
            t[s] = _mm256_add_ps(t[s], _mm256_add_ps(_mm256_load_ps(a + s * seg + i),
                                                     _mm256_load_ps(a + s * seg + i + 8)));
    __m256 r = t[0];
    for (int s = 1; s < 8; s++) r = _mm256_add_ps(r, t[s]);
    return _mm256_cvtss_f32(r);
}
