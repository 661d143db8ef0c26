/* The AVX2 row quantizer behind vsqk_select_qrow: the fused row function
 * of quantize_pack_avx2.c (same arithmetic as vsqk_quantize_row_ref: IEEE
 * division x / s, round to nearest ties away, clip) with a work buffer of
 * its own. vsq_quantize_act calls that function directly with one buffer
 * per thread, so this wrapper is off the hot path. */
#include <stdlib.h>

#include "kernels/kernels_internal.h"
#include "kernels/quantize_pack.h"

void vsqk_quantize_row_avx2(const vsq_format *fmt, const float *x, size_t k, size_t kp,
                            int16_t *codes, double *scale, float *gamma, int *max_code,
                            uint32_t *max_scale) {
    size_t wb = (vsqk_qrow_work_bytes(kp, fmt->vec_len) + 31) / 32 * 32;
    void *work = aligned_alloc(32, wb);
    /* the caller checked x is finite; without memory the reference does it */
    if (!work || vsqk_qact_row_avx2(fmt, x, NULL, k, kp, codes, scale, gamma, max_code,
                                    max_scale, work))
        vsqk_quantize_row_ref(fmt, x, k, kp, codes, scale, gamma, max_code, max_scale);
    free(work);
}
