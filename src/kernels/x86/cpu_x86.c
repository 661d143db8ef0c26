/* CPU checks of the x86 kernel tables: CPUID for the instructions and
 * XGETBV for the OS saving the register state. This file is compiled
 * without ISA flags, so the checks themselves run on any x86-64 CPU. */
#include <cpuid.h>

#include "kernels/isa_table.h"

static unsigned long long xgetbv0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

/* AVX2 + FMA + F16C + BMI2 with the YMM state enabled: the base of every
 * x86 table (the AVX2 kernels are their fallback). */
int vsqk_cpu_avx2(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, f16c = (c >> 29) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx || !fma || !f16c) return 0;
    if ((xgetbv0() & 6) != 6) return 0; /* XMM + YMM state */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return ((b >> 5) & 1) && ((b >> 8) & 1); /* AVX2, BMI2 */
}

/* AVX-VNNI: CPUID.(EAX=7, ECX=1):EAX bit 4 (VEX-encoded vpdpbusd on
 * xmm/ymm), on top of AVX2. */
int vsqk_cpu_avxvnni(void) {
    unsigned a, b, c, d;
    if (!vsqk_cpu_avx2() || __get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 1, a, b, c, d);
    return (a >> 4) & 1;
}

/* AVX-512 F/DQ/BW/VL + VNNI with the opmask and ZMM state enabled. */
int vsqk_cpu_avx512(void) {
    unsigned a, b, c, d;
    if (!vsqk_cpu_avx2() || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    int vnni = (c >> 11) & 1;
    return f && dq && bw && vl && vnni && (xgetbv0() & 0xe6) == 0xe6;
}
