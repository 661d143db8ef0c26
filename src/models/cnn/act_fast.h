/* models/cnn/act_fast.h - allocation-free activation quantization for the
 * CNN forward pass (act_fast.c), bit-identical to vsq_fakequant with
 * channels = 1 (one coarse scale per tensor). */
#ifndef VSQ_CNN_ACT_FAST_H
#define VSQ_CNN_ACT_FAST_H

#include <stddef.h>
#include "vsq/kernels.h"
#include "vsq/vsq.h"

/* 1 if the fast path handles activations in format f (static per-tensor
 * fp32, or dynamic vV max with fp32 / fp16 / two-level sM scales). */
int cnn_fast_act_ok(const vsq_format *f, int is_static);

/* Fake-quantize x (rows x cols, vectors along cols) in place. alpha: the
 * static per-tensor clip value, or NULL for dynamic per-vector formats.
 * `what` names the layer in errors (non-finite input). */
vsq_status cnn_fast_fakequant(const vsq_format *f, float *x, size_t rows, size_t cols,
                              const float *alpha, const char *what);

/* Quantize x dynamically with a two-level sM format into packed
 * activations for vsq_gemm_packed (same codes and integer scales as the
 * fake-quant path; gamma per tensor, copied to every row). p is reused
 * across calls (zero-initialise it once, free with vsq_packed_a_free). */
vsq_status cnn_pack_act_two_level(const vsq_format *f, const float *x, size_t rows, size_t cols,
                                  vsq_packed_a *p, const char *what);

/* SIMD level of the CNN's own vector loops (dw_fused.c, packing): 0
 * scalar, 1 AVX2, 2 AVX-512F; follows the kernels' ISA choice (AVX-512
 * only when the kernels use it, none with VSQ_ISA=ref) and the CPU. */
int cnn_simd_level(void);

#endif
