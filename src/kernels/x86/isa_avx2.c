/* The AVX2 table (AVX2 + FMA + F16C + BMI2): int16 panel GEMM, the
 * vpmaddubsw + vpmaddwd int8 GEMV (m < 4), fused quantizers, ggml block
 * dots, fp32 mat-vec and the limits of this ISA. Data only: the code it
 * names lives in the *_avx2.c kernel files. */
#include "kernels/ggml_quants.h"
#include "kernels/isa_table.h"

const vsqk_isa_ops vsqk_isa_avx2 = {
    .id = VSQ_ISA_AVX2,
    .name = "avx2",
    .supported = vsqk_cpu_avx2,
    .panel = vsqk_panel_avx2,
    .gemv8 = vsqk_gemv8_avx2,
    .gemv8_isa = VSQ_ISA_AVX2,
    .qrow = vsqk_quantize_row_avx2,
    .qact_row = vsqk_qact_row_avx2,
    .qpack_row = vsqk_qpack_row_avx2,
    .vec_dot_q4_1_q8_1 = vsq_vec_dot_q4_1_q8_1_avx2,
    .vec_dot_q8_0_q8_0 = vsq_vec_dot_q8_0_q8_0_avx2,
    .vec_dot_q4_0_q8_0 = vsq_vec_dot_q4_0_q8_0_avx2,
    .matvec_rows = vsqk_matvec_rows_avx2,
    .peak_int8 = vsqk_peak_int8_avx2,
    .peak_int8_what = "vpmaddubsw+vpmaddwd+vpaddd ymm",
    .peak_fma = vsqk_peak_fma_avx2,
    .read = vsqk_read_avx2,
};
