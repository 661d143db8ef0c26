/* Register-only vpdpbusd loop (AVX-512 VNNI): the int8-dot limit that the
 * benchmark reports on CPUs with VNNI (64 u8 x s8 MACs per instruction).
 * Same construction as peak_avx2.c: six independent accumulator chains,
 * inputs pinned in registers so nothing is hoisted. Returns ops (2 per
 * MAC). Called only after the CPUID check for AVX-512 VNNI. */
#include <immintrin.h>
#include <stdint.h>

#include "kernels/kernels_internal.h"

double vsqk_peak_vnni_avx512(long iters) {
    __m512i a0 = _mm512_set1_epi32(1), a1 = _mm512_set1_epi32(2), a2 = _mm512_set1_epi32(3),
            a3 = _mm512_set1_epi32(4), a4 = _mm512_set1_epi32(5), a5 = _mm512_set1_epi32(6);
    __m512i x = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
    for (long i = 0; i < iters; i++) {
        a0 = _mm512_dpbusd_epi32(a0, x, b);
        a1 = _mm512_dpbusd_epi32(a1, x, b);
        a2 = _mm512_dpbusd_epi32(a2, x, b);
        a3 = _mm512_dpbusd_epi32(a3, x, b);
        a4 = _mm512_dpbusd_epi32(a4, x, b);
        a5 = _mm512_dpbusd_epi32(a5, x, b);
        __asm__ volatile("" : "+v"(x), "+v"(b));
    }
    __m512i s = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)),
                                 _mm512_add_epi32(a4, a5));
    int32_t r = _mm_cvtsi128_si32(_mm512_castsi512_si128(s));
    __asm__ volatile("" ::"r"(r));
    return (double)iters * 6 * 64 * 2;
}
