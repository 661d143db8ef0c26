/* vsq/mac.h - bit-accurate model of the VS-Quant vector MAC (paper 4.2, 5,
 * Fig. 2b) and a reference GEMM built on it.
 *
 * For one pair of V-element vectors (eq. 5):
 *   dot   = sum_i wq[i] * aq[i]                 (2N + log2 V bits)
 *   sprod = sw_q * sa_q                          (Mw + Ma bits)
 *   if round_bits R > 0 and R < Mw + Ma:         scale product rounding
 *       sprod = round(sprod / 2^(Mw+Ma-R))       (nearest, ties away)
 *   psum  = dot * sprod                          (2N + log2 V + 2M bits)
 * Partial sums are accumulated in a wide integer; the result is multiplied
 * by the two fp32 coarse scales (and by 2^(Mw+Ma-R) when rounding).
 * Single-level formats (fp32/fp16/e8m0 per-vector, pc, pt) use the float
 * scale product per vector instead: psum = dot * (s_w * s_a) in double.
 */
#ifndef VSQ_MAC_H
#define VSQ_MAC_H

#include <stddef.h>
#include <stdint.h>
#include "vsq/error.h"
#include "vsq/quant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Integer dot product of one vector pair. */
int32_t vsq_mac_dot(const int16_t *wq, const int16_t *aq, size_t v);

/* Scale product with optional rounding to R bits (R = 0: none). `shift`
 * receives the number of dropped low bits (Mw + Ma - R, or 0). */
uint32_t vsq_mac_scale_product(uint32_t sw, uint32_t sa, int mw, int ma, int round_bits,
                               int *shift);

/* Accumulator width in bits that cannot overflow for a K-long reduction
 * (paper 5: 2N + log2 V + 2M per vector, plus log2 ceil(K/V) for the sum). */
int vsq_mac_acc_bits(int nw, int na, int mw, int ma, size_t v, size_t k);

/* Reference GEMM: Y[m][n] = sum_k A[m][k] * W[n][k].
 * A: M x K activations, W: N x K weights, both quantized along K with the
 * same vector length. Both may be any format; when both are two-level the
 * accumulation is exact in integers (int64). `acc` (optional, M x N)
 * receives the integer accumulators for two-level x two-level. */
vsq_status vsq_gemm_ref(const vsq_qtensor *a, const vsq_qtensor *w, int round_bits,
                        float *y, int64_t *acc);

#ifdef __cplusplus
}
#endif
#endif
