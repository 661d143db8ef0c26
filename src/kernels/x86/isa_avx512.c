/* The AVX-512 VNNI table: vpdpbusd on zmm for the int8 GEMV and GEMM panel
 * kernels (vnni_avx512.c; two-level u8 scales, int8-range activations),
 * the 4-stream GEMV on fused int8 activations (gemv_avx512.c),
 * the blocked N-in-lanes int8 GEMM (gemm8_avx512.c, 4 x 32 tiles),
 * 512-bit peak loops and reader; the rest from the tables below it
 * (avxvnni where the CPU has it, then avx2). */
#include "kernels/isa_table.h"

const vsqk_isa_ops vsqk_isa_avx512 = {
    .id = VSQ_ISA_AVX512,
    .name = "avx512",
    .supported = vsqk_cpu_avx512,
    .panel8 = vsqk_panel_avx512,
    .panel8_isa = VSQ_ISA_AVX512,
    .gemv8 = vsqk_gemv8_avx512,
    .gemv8_isa = VSQ_ISA_AVX512,
    .gemv_a = vsqk_gemv_avx512,
    .gemm8 = vsqk_g8_block_avx512,
    .gemm8_pack = vsqk_g8_pack_b_avx512,
    .mr = 4,
    .nr = 32,
    .peak_int8 = vsqk_peak_vnni_avx512,
    .peak_int8_what = "vpdpbusd zmm",
    .peak_fma = vsqk_peak_fma_avx512,
    .read = vsqk_read_avx512,
};
