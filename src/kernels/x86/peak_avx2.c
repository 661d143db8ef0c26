/* Register-only throughput loops for the benchmark's physical limits:
 * int8 dot as vpmaddubsw + vpmaddwd (the AVX2 int8 idiom, 32 MACs per
 * pair), vpmaddwd alone (16 int16 MACs, what the packed kernels use) and
 * fp32 FMA. The int8 loops carry their chains only through vpaddd (the
 * multiplies take fresh, register-pinned inputs each iteration), so six
 * chains already fill both multiply ports; the FMA loop carries its chains
 * through the FMA itself and needs 12. Returns ops (2 per MAC). */
#include <immintrin.h>
#include <stdint.h>

#include "kernels/kernels_internal.h"

#define ICHAINS 6 /* distinct inputs per chain (no common subexpressions): 6 x + 6 acc */

/* Six independent chains in named registers (arrays end up in memory). */
#define DECL6(T, n, init) T n##0 = init(1), n##1 = init(2), n##2 = init(3), n##3 = init(4), \
                              n##4 = init(5), n##5 = init(6)
#define BARRIER6(n) __asm__ volatile("" : "+x"(n##0), "+x"(n##1), "+x"(n##2), "+x"(n##3), "+x"(n##4), "+x"(n##5))
/* (the lanes wrap by design: sum as unsigned, only to keep the result live) */
#define SUM6(n) ((uint32_t)_mm256_extract_epi32(n##0, 0) + (uint32_t)_mm256_extract_epi32(n##1, 0) + \
                 (uint32_t)_mm256_extract_epi32(n##2, 0) + (uint32_t)_mm256_extract_epi32(n##3, 0) + \
                 (uint32_t)_mm256_extract_epi32(n##4, 0) + (uint32_t)_mm256_extract_epi32(n##5, 0))
#define SET8(v) _mm256_set1_epi8((char)(v))
#define SET16(v) _mm256_set1_epi16((short)(v))
#define SET32(v) _mm256_set1_epi32(v)

double vsqk_peak_int8_avx2(long iters) {
    DECL6(__m256i, x, SET8);
    DECL6(__m256i, a, SET32);
    const __m256i b = _mm256_set1_epi8(-2), one = _mm256_set1_epi16(1);
#define STEP8(i) a##i = _mm256_add_epi32(a##i, _mm256_madd_epi16(_mm256_maddubs_epi16(x##i, b), one))
    for (long i = 0; i < iters; i++) {
        STEP8(0); STEP8(1); STEP8(2); STEP8(3); STEP8(4); STEP8(5);
        BARRIER6(x);
    }
    uint32_t s = SUM6(a);
    __asm__ volatile("" ::"r"(s));
    return (double)iters * 6 * 32 * 2;
}

double vsqk_peak_madd16_avx2(long iters) {
    DECL6(__m256i, x, SET16);
    DECL6(__m256i, a, SET32);
    const __m256i b = _mm256_set1_epi16(-2);
#define STEP16(i) a##i = _mm256_add_epi32(a##i, _mm256_madd_epi16(x##i, b))
    for (long i = 0; i < iters; i++) {
        STEP16(0); STEP16(1); STEP16(2); STEP16(3); STEP16(4); STEP16(5);
        BARRIER6(x);
    }
    uint32_t s = SUM6(a);
    __asm__ volatile("" ::"r"(s));
    return (double)iters * 6 * 16 * 2;
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
