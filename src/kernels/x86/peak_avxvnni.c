/* AVX-VNNI int8-dot limit: register-only VEX vpdpbusd on ymm (32 u8 x s8
 * MACs per instruction). As the zmm loop (peak_avx512.c), the chains run
 * through vpdpbusd itself (latency 5, 2 ports on client and server cores:
 * >= 10 in flight), so 12 named accumulators (+ 2 inputs: 14 of the 16
 * ymm registers VEX code has; objdump: 12 vpdpbusd ymm per iteration, no
 * memory operands, no register copies). Returns ops (2 per MAC). AVX-VNNI CPUs only. */
#include <immintrin.h>
#include <stdint.h>

#include "kernels/isa_table.h"

#define REP12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

double vsqk_peak_vnni_avxvnni(long iters) {
    __m256i x = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
#define DECLV(i) __m256i v##i = _mm256_set1_epi32(i);
/* in place by construction (GCC 12 copies accumulators around the
 * intrinsic); {vex}: the AVX-VNNI encoding, not AVX512-VL's */
#define STEPV(i) __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(v##i) : "x"(x), "x"(b));
#define SUMV(i) s = _mm256_add_epi32(s, v##i);
    REP12(DECLV)
    for (long i = 0; i < iters; i++) {
        REP12(STEPV)
        __asm__ volatile("" : "+x"(x), "+x"(b));
    }
    __m256i s = _mm256_setzero_si256();
    REP12(SUMV)
    int32_t r = _mm256_cvtsi256_si32(s);
    __asm__ volatile("" ::"r"(r));
    return (double)iters * 12 * 32 * 2;
}
