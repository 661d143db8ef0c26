/* The AVX-512 VNNI kernels compiled against SIMDe's portable intrinsics
 * (as vsqk_*_avx512emu), linked into test_avx512_emu only: their logic is
 * checked bit for bit against the reference on any CPU. */
#define VSQ_AVX512_EMULATE 1
#include "kernels/x86/vnni_avx512.c"
#include "kernels/x86/gemm8_avx512.c"
