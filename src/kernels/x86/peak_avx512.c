/* AVX-512 limits for `vsq bench`: register-only vpdpbusd (64 u8 x s8 MACs
 * per instruction) and fp32 FMA loops on zmm, and a 512-bit reader.
 *
 * The accumulator chains run through the instruction itself (vpdpbusd
 * latency 5, FMA 4, two 512-bit ports on server cores), so a loop needs
 * latency x ports = 10 chains in flight to reach the throughput limit; we
 * keep 12 in named registers (objdump: 12 vpdpbusd / vfmadd zmm per
 * iteration, no memory operands, no register copies). Six chains, as this file had before,
 * measured ~2/3 of the limit. Returns ops (2 per MAC). Called only after
 * the CPUID check for AVX-512 VNNI. */
#include <immintrin.h>
#include <stdint.h>

#include "kernels/isa_table.h"

#define REP12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

double vsqk_peak_vnni_avx512(long iters) {
    __m512i x = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
#define DECLV(i) __m512i v##i = _mm512_set1_epi32(i);
/* in place by construction: GCC 12 copies each accumulator twice per
 * step around the intrinsic (24 extra moves per 12 vpdpbusd) */
#define STEPV(i) __asm__("vpdpbusd %2, %1, %0" : "+v"(v##i) : "v"(x), "v"(b));
#define SUMV(i) s = _mm512_add_epi32(s, v##i);
    REP12(DECLV)
    for (long i = 0; i < iters; i++) {
        REP12(STEPV)
        __asm__ volatile("" : "+v"(x), "+v"(b));
    }
    __m512i s = _mm512_setzero_si512();
    REP12(SUMV)
    int32_t r = _mm_cvtsi128_si32(_mm512_castsi512_si128(s));
    __asm__ volatile("" ::"r"(r));
    return (double)iters * 12 * 64 * 2;
}

double vsqk_peak_fma_avx512(long iters) {
    __m512 a = _mm512_set1_ps(1.0000001f), b = _mm512_set1_ps(0.9999999f);
#define DECLF(i) __m512 f##i = _mm512_set1_ps((float)(i));
#define STEPF(i) f##i = _mm512_fmadd_ps(f##i, a, b);
#define SUMF(i) s = _mm512_add_ps(s, f##i);
    REP12(DECLF)
    for (long i = 0; i < iters; i++) {
        REP12(STEPF)
        __asm__ volatile("" : "+v"(a), "+v"(b));
    }
    __m512 s = _mm512_setzero_ps();
    REP12(SUMF)
    float r = _mm512_cvtss_f32(s);
    __asm__ volatile("" ::"x"(r));
    return (double)iters * 12 * 16 * 2;
}

/* Sum of n floats (n a multiple of 512, a 64-byte aligned) as STREAMS
 * interleaved sequential streams of full-line zmm loads, each with a
 * software prefetch PF bytes ahead: more lines in flight than the
 * hardware prefetcher alone keeps for one stream (the GEMV kernels
 * prefetch the same way, so the limit is measured as they read). */
#define STREAMS 8
#define PF 2048
float vsqk_read_avx512(const float *a, size_t n) {
    __m512 t[STREAMS];
    for (int s = 0; s < STREAMS; s++) t[s] = _mm512_setzero_ps();
    size_t seg = n / STREAMS;
    for (size_t i = 0; i < seg; i += 32)
        for (int s = 0; s < STREAMS; s++) {
            const float *p = a + s * seg + i;
            _mm_prefetch((const char *)p + PF, _MM_HINT_T0);
            _mm_prefetch((const char *)p + PF + 64, _MM_HINT_T0);
            t[s] = _mm512_add_ps(t[s], _mm512_add_ps(_mm512_load_ps(p), _mm512_load_ps(p + 16)));
        }
    __m512 r = t[0];
    for (int s = 1; s < STREAMS; s++) r = _mm512_add_ps(r, t[s]);
    return _mm512_cvtss_f32(r);
}
