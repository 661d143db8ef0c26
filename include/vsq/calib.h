/* vsq/calib.h - calibrators: choose the clip value alpha of a scale group.
 *
 * Methods (vsq_calib_method in vsq/format.h):
 *   max        alpha = max |x|
 *   pP         alpha = P-th percentile of |x|
 *   entropy    alpha minimising KL(P||Q) over a 2048-bin histogram of |x|
 *              (TensorRT-style)
 *   mse        alpha minimising the quantization MSE (search)
 *   octav      Newton-Raphson fixed point of the MSE-optimal clip (OCTAV,
 *              Sakr et al. 2022; recursion in ../shared/README.md)
 * All methods return 0 for an all-zero group and never more than max |x|.
 */
#ifndef VSQ_CALIB_H
#define VSQ_CALIB_H

#include <stddef.h>
#include "vsq/error.h"
#include "vsq/format.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Clip value for one group of n values, for the element grid of fmt
 * (bits, signedness) and the method fmt->calib. */
vsq_status vsq_calib_alpha(const vsq_format *fmt, const float *x, size_t n, float *alpha);

/* Static calibration across many batches (e.g. activations over a
 * calibration set): observe data, then ask for alpha. Keeps the running
 * max and a histogram of |x| that widens as needed. */
typedef struct vsq_calibrator vsq_calibrator;

vsq_calibrator *vsq_calibrator_new(const vsq_format *fmt);
vsq_status vsq_calibrator_observe(vsq_calibrator *c, const float *x, size_t n);
vsq_status vsq_calibrator_alpha(const vsq_calibrator *c, float *alpha);
void vsq_calibrator_free(vsq_calibrator *c);

#ifdef __cplusplus
}
#endif
#endif
