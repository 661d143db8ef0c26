/* The reference table: plain C, every CPU, the end of every fallback
 * chain (isa_table.h). Its optional entries are NULL: the callers then take
 * their generic paths (int16 panels, unfused quantizers, no limits). */
#include "isa_table.h"
#include "kernels/ggml_quants.h"

static int always(void) { return 1; }

const vsqk_isa_ops vsqk_isa_ref = {
    .id = VSQ_ISA_REF,
    .name = "ref",
    .supported = always,
    .panel = vsqk_panel_ref,
    .qrow = vsqk_quantize_row_ref,
    .vec_dot_q4_1_q8_1 = vsq_vec_dot_q4_1_q8_1,
    .vec_dot_q8_0_q8_0 = vsq_vec_dot_q8_0_q8_0,
    .vec_dot_q4_0_q8_0 = vsq_vec_dot_q4_0_q8_0,
    .matvec_rows = vsqk_matvec_rows_ref,
};
