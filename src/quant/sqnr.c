/* Signal-to-quantization-noise ratio, the error measure of the paper's
 * tables and of `vsq stats`: 10 log10(sum x^2 / sum (x - y)^2), in double. */
#include "vsq/quant.h"

#include <math.h>

vsq_status vsq_sqnr_db(const float *x, const float *y, size_t n, double *out) {
    if (!x || !y || !out) return vsq_error(VSQ_EINVAL, "sqnr: null argument");
    if (n == 0) return vsq_error(VSQ_EINVAL, "sqnr: empty tensors");
    double signal = 0.0, noise = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return vsq_error(VSQ_ENONFINITE, "sqnr: element %zu is not finite", i);
        double d = (double)x[i] - (double)y[i];
        noise += d * d;
        signal += (double)x[i] * (double)x[i];
    }
    *out = noise > 0.0 ? 10.0 * log10(signal / noise) : INFINITY;
    return VSQ_OK;
}
