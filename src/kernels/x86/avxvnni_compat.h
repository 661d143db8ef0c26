/* Intrinsics for the AVX-VNNI kernels. Natively (compiled with -mavx2
 * -mavxvnni) the compiler's <immintrin.h> and its VEX vpdpbusd
 * _mm256_dpbusd_avx_epi32. With VSQ_AVXVNNI_EMULATE the same source is
 * compiled against SIMDe (Debian libsimde-dev) under *_avxvnniemu names,
 * so that tests/avxvnni_emu.c checks its logic bit for bit on CPUs
 * without AVX-VNNI. SIMDe 0.7 has no avxvnni.h; its AVX-512 VL
 * _mm256_dpbusd_epi32 computes the same thing (u8 x s8, 4 products per
 * int32 lane, wrapping add, no saturation). */
#ifndef VSQ_AVXVNNI_COMPAT_H
#define VSQ_AVXVNNI_COMPAT_H

#ifdef VSQ_AVXVNNI_EMULATE
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx2.h>
#include <simde/x86/avx512/dpbusd.h>
#define VSQK_DPBUSD256(acc, u, s) simde_mm256_dpbusd_epi32(acc, u, s)
#define VSQK_AVNNI(name) name##_avxvnniemu
#else
#include <immintrin.h>
#define VSQK_DPBUSD256(acc, u, s) _mm256_dpbusd_avx_epi32(acc, u, s)
#define VSQK_AVNNI(name) name##_avxvnni
#endif

#endif
