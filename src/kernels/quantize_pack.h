/* Fused fp32 -> packed weight quantization (vsq_quantize_pack_weights):
 * the plain-C reference path (packed.c) and the AVX2 row function
 * (quantize_pack_avx2.c). Kept out of kernels_internal.h so the fused
 * quantizer has one small interface of its own. */
#ifndef VSQ_KERNELS_QUANTIZE_PACK_H
#define VSQ_KERNELS_QUANTIZE_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "vsq/kernels.h"

/* The reference of vsq_quantize_pack_weights: each row through
 * vsqk_quantize_row_ref (int16 codes, double scales), then the scalar
 * pack (vsqk_pack_chunk). fmt must pass vsqk_fast_fmt. The fast path
 * must produce exactly its bytes (tests/test_kernels.c). */
vsq_status vsqk_quantize_pack_weights_ref(const vsq_format *fmt, const float *x, size_t n,
                                          size_t k, vsq_packed_w *out);

/* Bytes of the per-thread work buffer of vsqk_qpack_row_avx2 for the
 * layout p (allocate 32-byte aligned; reused for every row). */
size_t vsqk_qpack_work_bytes(const vsq_packed_w *p);

/* Quantize row r = panel row rr (k = p->k floats at x) straight into the
 * packed layout: its codes in every chunk of `panel`, its stored scales
 * (pad vectors 0) and *gamma; *max_code / *max_scale as the row
 * quantizer reports them. `next` (may be NULL) is the row processed next,
 * prefetched while this one is packed. Returns 1, having written nothing
 * valid, when x holds a NaN or Inf; else 0. AVX2 CPUs only. */
int vsqk_qpack_row_avx2(const vsq_packed_w *p, const float *x, const float *next, size_t rr,
                        uint8_t *panel, void *work, float *gamma, int *max_code,
                        uint32_t *max_scale);

#endif
