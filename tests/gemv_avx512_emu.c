/* The AVX-512 VNNI GEMV (src/kernels/x86/gemv_avx512.c) compiled against
 * SIMDe's portable intrinsics, as vsqk_gemv_avx512emu, linked into
 * test_gemv_avx512 only: its logic is checked bit for bit on any CPU. */
#define VSQ_AVX512_EMULATE 1
#include "kernels/x86/gemv_avx512.c"
