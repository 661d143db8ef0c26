/* Intrinsics for the AVX-512 kernels. Natively (the library, compiled with
 * -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni) these are the
 * compiler's <immintrin.h>. With VSQ_AVX512_EMULATE the same kernel source
 * is compiled against SIMDe's portable implementations of the same
 * intrinsics (Debian libsimde-dev), under *_avx512emu names, so that its
 * logic is tested bit for bit on CPUs without AVX-512 (tests/avx512_emu.c);
 * only the native build says anything about speed. */
#ifndef VSQ_AVX512_COMPAT_H
#define VSQ_AVX512_COMPAT_H

#ifdef VSQ_AVX512_EMULATE
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
/* SIMDe (0.7.x) aliases _mm512_madd_epi16 with the mask variant's four
 * arguments; the two-argument intrinsic is simde_mm512_madd_epi16 */
#undef _mm512_madd_epi16
#define _mm512_madd_epi16(a, b) simde_mm512_madd_epi16(a, b)
#define VSQK_A512(name) name##_avx512emu
/* SIMDe's native alias of this one takes the masked form's 4 arguments */
#undef _mm512_madd_epi16
#define _mm512_madd_epi16(a, b) simde_mm512_madd_epi16(a, b)
#else
#include <immintrin.h>
#define VSQK_A512(name) name##_avx512
#endif

#endif
