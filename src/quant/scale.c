/* Stored scale types: fp32, fp16 (IEEE binary16), e8m0 (power of two, OCP
 * MX style), and the element-grid helpers shared by all quantizers. */
#include <math.h>
#include <string.h>

#include "quant_internal.h"

uint16_t vsq_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) /* Inf or NaN */
        return (uint16_t)(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0));
    if (absx >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds past 65504 */
    if (absx < 0x38800000u) {                                    /* subnormal half */
        float a;
        memcpy(&a, &absx, 4);
        /* a * 2^24 is the subnormal mantissa; nearbyintf rounds to even. */
        uint32_t m = (uint32_t)nearbyintf(a * 16777216.0f);
        return (uint16_t)(sign | m);
    }
    uint32_t exp = ((absx >> 23) - 112) << 10;
    uint32_t mant = absx & 0x7fffffu;
    uint32_t h = exp | (mant >> 13);
    uint32_t rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++; /* nearest even */
    return (uint16_t)(sign | h);
}

float vsq_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    float out;
    if (exp == 0) {
        out = ldexpf((float)mant, -24);
        if (sign) out = -out;
        return out;
    }
    uint32_t x = exp == 31 ? (sign | 0x7f800000u | (mant << 13))
                           : (sign | ((exp + 112) << 23) | (mant << 13));
    memcpy(&out, &x, 4);
    return out;
}

/* fp16 keeps the nearest representable scale (elements beyond the grid are
 * clipped); e8m0 rounds up to the next power of two so the clip value
 * still fits, as shared-exponent formats do. */
float vsq_scale_store(vsq_scale_kind kind, float s) {
    if (!(s > 0.0f)) return 0.0f;
    switch (kind) {
    case VSQ_SCALE_FP16: {
        float h = vsq_f16_to_f32(vsq_f32_to_f16(s));
        if (h == 0.0f) h = vsq_f16_to_f32(1); /* smallest subnormal, never zero */
        if (isinf(h)) h = 65504.0f;
        return h;
    }
    case VSQ_SCALE_E8M0: {
        int e;
        float m = frexpf(s, &e); /* s = m * 2^e, m in [0.5, 1) */
        if (m == 0.5f) e -= 1;   /* exact power of two stays */
        if (e < -127) e = -127;
        if (e > 127) e = 127;
        return ldexpf(1.0f, e);
    }
    default: return s;
    }
}

int vsq_group_qref(const vsq_format *fmt, const float *x, size_t n) {
    if (fmt->elem != VSQ_ELEM_INTF) return vsq_format_qref(fmt);
    float peak = 0.0f;
    int negative = 0;
    for (size_t i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        if (a > peak) {
            peak = a;
            negative = x[i] < 0.0f;
        }
    }
    return negative ? -vsq_format_qmin(fmt) : vsq_format_qmax(fmt);
}

/* Largest-magnitude element of a group (first one on ties). */
static float group_peak(const float *x, size_t n) {
    float peak = 0.0f;
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) > fabsf(peak)) peak = x[i];
    return peak;
}

float vsq_single_scale(const vsq_format *fmt, const float *x, size_t n, float alpha) {
    if (!(alpha > 0.0f)) return 0.0f;
    int signed_scale = fmt->elem == VSQ_ELEM_INTF &&
                       (fmt->scale == VSQ_SCALE_FP32 || fmt->scale == VSQ_SCALE_FP16);
    if (!signed_scale)
        return vsq_scale_store(fmt->scale, alpha / (float)vsq_group_qref(fmt, x, n)); /* eq. 1 */
    float s = vsq_scale_store(fmt->scale, alpha / (float)-vsq_format_qmin(fmt));
    return group_peak(x, n) > 0.0f ? -s : s;
}

double vsq_quantize_run(const float *x, size_t n, float s, int qmin, int qmax, int16_t *q) {
    double err = 0.0;
    for (size_t i = 0; i < n; i++) {
        q[i] = vsq_quantize_value(x[i], s, qmin, qmax);
        double d = (double)x[i] - (double)q[i] * (double)s;
        err += d * d;
    }
    return err;
}
