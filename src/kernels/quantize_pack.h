/* Fused fp32 quantizers: the plain-C reference of
 * vsq_quantize_pack_weights (packed.c) and the AVX2 row functions behind
 * it and vsq_quantize_act (quantize_pack_avx2.c). Kept out of
 * kernels_internal.h so the fused quantizers have one small interface. */
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

/* Bytes of the per-thread work buffer of the AVX2 row functions below
 * for padded rows of kp elements in vectors of vec_len (allocate 32-byte
 * aligned; reused for every row). */
size_t vsqk_qrow_work_bytes(size_t kp, int vec_len);

/* Quantize row r = panel row rr (k = p->k floats at x) straight into the
 * packed layout: its codes in every chunk of `panel`, its stored scales
 * (pad vectors 0) and *gamma; *max_code / *max_scale as the row
 * quantizer reports them. `next` (may be NULL) is the row processed next,
 * prefetched while this one is quantized. Returns 1, having written
 * nothing valid, when x holds a NaN or Inf; else 0. AVX2 CPUs only. */
int vsqk_qpack_row_avx2(const vsq_packed_w *p, const float *x, const float *next, size_t rr,
                        uint8_t *panel, void *work, float *gamma, int *max_code,
                        uint32_t *max_scale);

/* The same row quantizer with the outputs of vsqk_quantize_row_ref: kp
 * int16 codes (zero padded), kp / V scales as double (integer sq for
 * two-level), gamma, max |code|, max sq. Returns 1 on a NaN or Inf (the
 * outputs are then partial), else 0. fmt passes vsqk_fast_fmt. */
int vsqk_qact_row_avx2(const vsq_format *fmt, const float *x, const float *next, size_t k,
                       size_t kp, int16_t *codes, double *scale, float *gamma, int *max_code,
                       uint32_t *max_scale, void *work);

/* The same row for the int8 GEMV (two-level formats whose codes fit
 * int8): kp int8 codes, kp / 4 lane terms corr[l] = -off * (c8[4l] + ..
 * + c8[4l+3]), kp / V integer scales sq, gamma, max |code|, max sq, in
 * one pass over the codes (no int16 codes in between). Codes and scales
 * are vsq_quantize's. Returns 1 on a NaN or Inf, else 0. */
int vsqk_qact_row8_avx2(const vsq_format *fmt, const float *x, const float *next, size_t k,
                        size_t kp, int off, int8_t *c8, int32_t *corr, uint32_t *sq,
                        float *gamma, int *max_code, uint32_t *max_scale, void *work);

#endif
