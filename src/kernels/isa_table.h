/* The per-ISA kernel table: every place that used to ask "which ISA is
 * active?" reads one entry of the active table instead.
 *
 * One const table per ISA, defined in that ISA's own file:
 *   ref      src/kernels/isa_ref.c         (plain C, every CPU)
 *   avx2     src/kernels/x86/isa_avx2.c    (AVX2 + FMA + F16C + BMI2)
 *   avxvnni  src/kernels/x86/isa_avxvnni.c (AVX2 + AVX-VNNI: vpdpbusd on ymm, VEX)
 *   avx512   src/kernels/x86/isa_avx512.c  (AVX-512 F/BW/VL/DQ + VNNI)
 * and listed once, lowest first, in dispatch.c (vsqk_isa_list). An Arm
 * `sdot` variant would be a new file with its table + one line there.
 *
 * Fallback: an entry left NULL in a table takes the entry of the next lower
 * ISA that this CPU supports, in the chain avx512 -> avxvnni -> avx2 -> ref
 * (an AVX-512 CPU without AVX-VNNI skips avxvnni). The resolution happens
 * once, at start-up (pthread_once in dispatch.c); vsqk_ops() returns a
 * resolved table, in which the mandatory entries (marked M below) are never
 * NULL; optional entries (O) stay NULL only when no ISA of the chain has
 * one (the caller then takes its generic path).
 *
 * The int8 kernels (gemv8, panel8) come with the vsq_isa whose operand
 * preparation and exactness rules they need (vsqk_gemv8_prepare(.., isa)):
 * the pair is copied together by the fallback. */
#ifndef VSQ_KERNELS_ISA_TABLE_H
#define VSQ_KERNELS_ISA_TABLE_H

#include "kernels_internal.h"
#include "quantize_pack.h"

/* The int8 GEMM slot: the blocked N-in-lanes driver (gemm8.c) takes the
 * ISA's weight repacker (16 output channels x 4 K bytes per register,
 * vsqk_g8_pack_fn) and its block micro-kernel (MR x NR tile over the whole
 * K, exact per-vector scale step; vsqk_g8_block_fn), both declared in
 * kernels_internal.h. */

/* Fused fp32 -> packed weight row quantizer and activation row quantizer
 * (quantize_pack.h has the contract). */
typedef int (*vsqk_qpack_row_fn)(const vsq_packed_w *p, const float *x, const float *next,
                                 size_t rr, uint8_t *panel, void *work, float *gamma,
                                 int *max_code, uint32_t *max_scale);
typedef int (*vsqk_qact_row_fn)(const vsq_format *fmt, const float *x, const float *next,
                                size_t k, size_t kp, int16_t *codes, double *scale, float *gamma,
                                int *max_code, uint32_t *max_scale, void *work);
/* ggml block dot: one weight row of n elements . a quantized Q8 row. */
typedef float (*vsqk_vec_dot_fn)(const uint8_t *w, const uint8_t *a, size_t n);
/* fp32 mat-vec rows r0..r1-1 (same operations, same order on every ISA). */
typedef void (*vsqk_matvec_rows_fn)(const float *w, const float *x, float *y, size_t r0,
                                    size_t r1, size_t cols);
/* Register-only peak loop: returns the operations done (2 per MAC). */
typedef double (*vsqk_peak_fn)(long iters);
/* Read-bandwidth reader: sums n floats (n % 512 == 0, a 64-byte aligned). */
typedef float (*vsqk_read_fn)(const float *a, size_t n);

typedef struct vsqk_isa_ops {
    vsq_isa id;                 /* M */
    const char *name;           /* M: as VSQ_ISA spells it */
    int (*supported)(void);     /* M: CPU (and OS) can run this table's code */
    /* packed GEMM / GEMV */
    vsqk_panel_fn panel;        /* M: int16 panel micro-kernel (any operands) */
    vsqk_panel_fn panel8;       /* O: int8 panel kernel on vsqk_gemv8_prepare'd operands, m >= 4 */
    vsq_isa panel8_isa;         /*    ... its preparation rules */
    vsqk_gemv8_fn gemv8;        /* O: int8 GEMV (m < 4) on prepared operands */
    vsq_isa gemv8_isa;          /*    ... its preparation rules */
    vsqk_gemv_fn gemv_a;        /* O: streaming int8 GEMV (m < 4) on the fused activation
                                   layout (vsqk_gemv_act, vsqk_gemv_act_quantize) */
    vsqk_g8_block_fn gemm8;     /* O: int8 GEMM block micro-kernel (gemm8.c driver), MR x NR */
    vsqk_g8_pack_fn gemm8_pack; /*    ... and its weight repacker (copied together) */
    int mr, nr;
    /* quantizers */
    vsqk_qrow_fn qrow;          /* M: activation row -> int16 codes */
    vsqk_qact_row_fn qact_row;  /* O: fused activation row quantizer (with NaN check) */
    vsqk_qpack_row_fn qpack_row;/* O: fused weight row -> packed bytes */
    /* other kernels */
    vsqk_vec_dot_fn vec_dot_q4_1_q8_1; /* M */
    vsqk_vec_dot_fn vec_dot_q8_0_q8_0; /* M */
    vsqk_vec_dot_fn vec_dot_q4_0_q8_0; /* M */
    vsqk_matvec_rows_fn matvec_rows;   /* M */
    /* the machine limits `vsq bench` reports (O): the best int8-dot loop
     * and fp32 FMA loop of this ISA, and its best reader */
    vsqk_peak_fn peak_int8;
    const char *peak_int8_what; /* instruction sequence, for the report */
    vsqk_peak_fn peak_fma;
    vsqk_read_fn read;
} vsqk_isa_ops;

/* The tables (unresolved, as written in each ISA file). */
extern const vsqk_isa_ops vsqk_isa_ref, vsqk_isa_avx2, vsqk_isa_avxvnni, vsqk_isa_avx512;

/* The resolved table of the active ISA (vsq_isa_active()). */
const vsqk_isa_ops *vsqk_ops(void);
/* The resolved table of `isa`, or NULL if this CPU cannot run it. */
const vsqk_isa_ops *vsqk_ops_for(vsq_isa isa);
/* The next lower supported ISA's resolved table (NULL below ref): where
 * an int8 path of `o` refuses the operands, the caller tries this one. */
const vsqk_isa_ops *vsqk_ops_lower(const vsqk_isa_ops *o);

/* CPU checks (x86/cpu_x86.c, compiled without ISA flags). */
int vsqk_cpu_avx2(void);
int vsqk_cpu_avxvnni(void);
int vsqk_cpu_avx512(void);

/* Kernels only the tables name. */
void vsqk_matvec_rows_ref(const float *w, const float *x, float *y, size_t r0, size_t r1,
                          size_t cols);
void vsqk_gemv8_avxvnni(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0, size_t p1,
                        void *out, const vsqk_gemv8 *g);
double vsqk_peak_vnni_avxvnni(long iters);
double vsqk_peak_fma_avx512(long iters);
float vsqk_read_avx512(const float *a, size_t n);

#endif
