/* The AVX-VNNI GEMV kernel compiled against SIMDe's portable intrinsics
 * (as vsqk_gemv8_avxvnniemu), linked into test_avx512_emu only: its logic
 * is checked bit for bit against the reference on any CPU. */
#define VSQ_AVXVNNI_EMULATE 1
#include "kernels/x86/gemv8_avxvnni.c"
