/* kernels/ggml_quants.h - llama.cpp's (ggml's) block formats as stored in
 * GGUF files, run directly: weights stay in their Q4_0 / Q4_1 / Q8_0 blocks,
 * the activation row is quantized to the block format ggml pairs with them
 * (Q8_1 for Q4_1, Q8_0 for Q4_0 and Q8_0), and each 32-block dot product is an
 * integer sum scaled once by the two block scales: the same structure as a
 * VS-Quant per-vector MAC with V = 32 and fp16 scales (paper eq. 5), plus
 * Q4_1's per-block minimum. Reference C, ggml naming:
 *   quantize_row_q8_1: d = amax/127 (fp16), q = round(x/d), s = d*sum(q) (fp16)
 *   quantize_row_q8_0: d = amax/127 (fp16), q = round(x/d)
 *   vec_dot_q4_1_q8_1: sum_b  d_w d_a sum_j q_w q_a + m_w s_a
 *   vec_dot_q8_0_q8_0: sum_b  d_w d_a sum_j q_w q_a
 *   vec_dot_q4_0_q8_0: sum_b  d_w d_a sum_j (q_w - 8) q_a
 * Rounding is to nearest, ties away from zero (C roundf, as ggml's
 * reference quantizer). */
#ifndef VSQ_KERNELS_GGML_QUANTS_H
#define VSQ_KERNELS_GGML_QUANTS_H

#include <stddef.h>
#include <stdint.h>

enum { GGML_QK = 32, GGML_Q8_BLOCK_BYTES = 36 }; /* q8_1: d, s (fp16), 32 x int8 */
enum { GGML_Q4_0_BLOCK_BYTES = 18 };              /* q4_0: d (fp16), 16 bytes of nibbles */

/* n a multiple of 32; dst holds n/32 blocks of 36 bytes (q8_0 leaves s = 0). */
void vsq_quantize_row_q8_1(const float *x, uint8_t *dst, size_t n);
void vsq_quantize_row_q8_0(const float *x, uint8_t *dst, size_t n);

/* One row of n weights (blocks as in the GGUF file) . the quantized row. */
float vsq_vec_dot_q4_1_q8_1(const uint8_t *w, const uint8_t *a, size_t n);
float vsq_vec_dot_q8_0_q8_0(const uint8_t *w, const uint8_t *a, size_t n);
float vsq_vec_dot_q4_0_q8_0(const uint8_t *w, const uint8_t *a, size_t n);

/* AVX2 versions (ggml_quants_avx2.c): same integer sums, float scaling
 * accumulated in 8 lanes. Call only when the CPU has AVX2 + FMA + F16C. */
float vsq_vec_dot_q4_1_q8_1_avx2(const uint8_t *w, const uint8_t *a, size_t n);
float vsq_vec_dot_q8_0_q8_0_avx2(const uint8_t *w, const uint8_t *a, size_t n);
/* ggml_quants_q4_0_avx2.c */
float vsq_vec_dot_q4_0_q8_0_avx2(const uint8_t *w, const uint8_t *a, size_t n);

/* y[r] = row r of a rows x n block matrix (row stride = n/32 blocks of the
 * weight type) . the row quantized to the matching Q8 type; type is
 * VSQ_GGML_Q4_0, VSQ_GGML_Q4_1 or VSQ_GGML_Q8_0 (include/vsq/gguf.h); -1 for
 * any other type. `aq` holds n/32*36
 * bytes of scratch. Rows are split over `threads` OpenMP threads. The AVX2
 * dot products are used when the CPU has them (VSQ_ISA=ref forces the
 * reference). */
int vsq_ggml_matvec(int type, const uint8_t *w, const float *x, float *y, size_t rows, size_t n,
                    uint8_t *aq, int threads);

#endif
