/* The AVX-VNNI table (AVX2 + 256-bit VEX vpdpbusd; Alder Lake and later
 * client cores, Zen 5, Sapphire Rapids and later also have it besides
 * AVX-512): its own int8 GEMV (gemv8_avxvnni.c: vpdpbusd sums 4 u8 x s8
 * products into int32 without the int16 saturation of vpmaddubsw) and
 * int8-dot peak loop; every other entry is the AVX2 one (fallback). */
#include "kernels/isa_table.h"

const vsqk_isa_ops vsqk_isa_avxvnni = {
    .id = VSQ_ISA_AVXVNNI,
    .name = "avxvnni",
    .supported = vsqk_cpu_avxvnni,
    .gemv8 = vsqk_gemv8_avxvnni,
    .gemv8_isa = VSQ_ISA_AVXVNNI,
    .peak_int8 = vsqk_peak_vnni_avxvnni,
    .peak_int8_what = "vpdpbusd ymm",
};
