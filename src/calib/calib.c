/* calib.c - vsq_calib_alpha: the clip value of one scale group.
 *
 * Used both statically (once per tensor/channel/vector of weights) and
 * dynamically (on each activation vector at run time, as the paper does,
 * section 4.1). Validates the input, forms the magnitudes of the grid
 * (|x| signed, max(x,0) unsigned) and dispatches to the method.
 */
#include <math.h>
#include <stdlib.h>

#include "calib/calib_internal.h"

#define STACK_MAGS 256 /* per-vector groups need no allocation */

int calib_qref(const vsq_format *fmt) {
    return calib_is_unsigned(fmt) ? (1 << fmt->bits) - 1 : (1 << (fmt->bits - 1)) - 1;
}

vsq_status calib_peak(const float *x, size_t n, int is_unsigned, const char *who, float *peak) {
    float max = 0.0f;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return vsq_error(VSQ_ENONFINITE, "%s: x[%zu] is %s", who, i, isnan(x[i]) ? "NaN" : "Inf");
        float m = calib_mag(x[i], is_unsigned);
        if (m > max) max = m;
    }
    *peak = max;
    return VSQ_OK;
}

int calib_is_unsigned(const vsq_format *fmt) { return fmt->elem == VSQ_ELEM_UINT; }

vsq_status calib_check_format(const vsq_format *fmt, const char *who) {
    if (!fmt) return vsq_error(VSQ_EINVAL, "%s: format is NULL", who);
    if (fmt->elem != VSQ_ELEM_INT && fmt->elem != VSQ_ELEM_INTF && fmt->elem != VSQ_ELEM_UINT)
        return vsq_error(VSQ_EINVAL, "%s: unknown element kind %d", who, (int)fmt->elem);
    if (fmt->bits < 2 || fmt->bits > 8)
        return vsq_error(VSQ_EINVAL, "%s: element bits %d not in 2..8", who, fmt->bits);
    if ((int)fmt->calib < VSQ_CALIB_MAX || fmt->calib > VSQ_CALIB_OCTAV)
        return vsq_error(VSQ_EINVAL, "%s: unknown calibration method %d", who, (int)fmt->calib);
    if (fmt->calib == VSQ_CALIB_PERCENTILE && !(fmt->percentile > 0.0 && fmt->percentile <= 100.0))
        return vsq_error(VSQ_EINVAL, "%s: percentile %g not in (0, 100]", who, fmt->percentile);
    return VSQ_OK;
}

/* Methods that need the magnitudes themselves, not only their max. */
static float alpha_of_mags(const vsq_format *fmt, float *m, size_t n, float max) {
    const int qref = calib_qref(fmt);
    calib_samples s = {m, NULL, n, max};
    switch (fmt->calib) {
    case VSQ_CALIB_PERCENTILE: return calib_percentile_direct(m, n, fmt->percentile);
    case VSQ_CALIB_MSE: return calib_mse_search(&s, qref);
    case VSQ_CALIB_OCTAV: return calib_octav(&s, calib_octav_bits(fmt));
    case VSQ_CALIB_ENTROPY: {
        calib_hist h;
        calib_hist_fill(&h, m, n, max);
        return calib_entropy_hist(&h, qref + 1, max);
    }
    case VSQ_CALIB_MAX: break;
    }
    return max;
}

vsq_status vsq_calib_alpha(const vsq_format *fmt, const float *x, size_t n, float *alpha) {
    vsq_status st = calib_check_format(fmt, "vsq_calib_alpha");
    if (st != VSQ_OK) return st;
    if (!alpha) return vsq_error(VSQ_EINVAL, "vsq_calib_alpha: alpha is NULL");
    if (n == 0) return vsq_error(VSQ_EINVAL, "vsq_calib_alpha: empty group (n = 0)");
    if (!x) return vsq_error(VSQ_EINVAL, "vsq_calib_alpha: data is NULL (n = %zu)", n);
    const int uns = calib_is_unsigned(fmt);
    float max = 0.0f;
    st = calib_peak(x, n, uns, "vsq_calib_alpha", &max);
    if (st) return st;
    if (max == 0.0f || fmt->calib == VSQ_CALIB_MAX) {
        *alpha = max; /* all-zero group: alpha 0 for every method */
        return VSQ_OK;
    }
    float stack[STACK_MAGS];
    float *m = n <= STACK_MAGS ? stack : malloc(sizeof(float) * n);
    if (!m)
        return vsq_error(VSQ_ENOMEM, "vsq_calib_alpha: out of memory for %zu magnitudes", n);
    for (size_t i = 0; i < n; i++) m[i] = calib_mag(x[i], uns);
    float a = alpha_of_mags(fmt, m, n, max);
    if (m != stack) free(m);
    *alpha = a < 0.0f ? 0.0f : (a > max ? max : a);
    return VSQ_OK;
}
