/* Internal helpers shared by the quantizer files. */
#ifndef VSQ_QUANT_INTERNAL_H
#define VSQ_QUANT_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "vsq/quant.h"

/* Round to nearest, ties away from zero (C roundf), then clip (eq. 2).
 * s may be negative (intNf with float scales, see vsq_single_scale). */
static inline int16_t vsq_quantize_value(float x, float s, int qmin, int qmax) {
    if (s == 0.0f) return 0;
    float v = roundf(x / s);
    if (v < (float)qmin) return (int16_t)qmin;
    if (v > (float)qmax) return (int16_t)qmax;
    return (int16_t)v;
}

/* Format check plus shape: non-empty, rows split into channels, sizes
 * that do not overflow. */
vsq_status vsq_check_shape(const vsq_format *fmt, size_t rows, size_t cols, size_t channels);

/* Quantize n contiguous values with one scale; returns the squared error. */
double vsq_quantize_run(const float *x, size_t n, float s, int qmin, int qmax, int16_t *q);

/* Code magnitude that alpha maps to for this group. For intNf the extra
 * negative code is used when the group's peak is negative (docs/formats.md). */
int vsq_group_qref(const vsq_format *fmt, const float *x, size_t n);

/* Stored single-level scale of a group with clip value alpha: alpha / qref
 * rounded to the scale type. For intNf with fp32/fp16 scales the scale is
 * signed, -alpha/2^(N-1) when the group's peak is positive, so the peak
 * always lands on the extra code -2^(N-1) (as Q4_0-style block formats
 * store it); e8m0 scales have no sign and use vsq_group_qref. */
float vsq_single_scale(const vsq_format *fmt, const float *x, size_t n, float alpha);

/* Round a positive scale to the stored scale type (fp16 nearest, e8m0 up). */
float vsq_scale_store(vsq_scale_kind kind, float s);

/* IEEE binary16 conversions (round to nearest even). */
uint16_t vsq_f32_to_f16(float f);
float vsq_f16_to_f32(uint16_t h);

/* Two-level scaling of all vectors of one coarse group (eq. 7a-7j and the
 * refined / coarse-first variants). rows x cols block at x; alpha_vec holds
 * the clip value of each vector (rows*n_vec, or n_vec broadcast over rows
 * when alpha_broadcast is set). Writes codes, sq and effective scales and
 * returns gamma. */
float vsq_two_level_group(const vsq_format *fmt, const float *x, size_t rows, size_t cols,
                          const float *alpha_vec, int alpha_broadcast, int16_t *codes,
                          uint16_t *sq, float *scale);

/* Refined two-level choice for one vector (float scale s, coarse gamma):
 * the better of floor/ceil(s/gamma), at least 1; codes re-rounded. */
uint16_t vsq_two_level_refined_code(const float *x, size_t len, float s, float gamma,
                                    int scale_bits, int qmin, int qmax, int16_t *q);

/* Allocate the code and scale arrays of a quantized matrix. */
vsq_status vsq_qtensor_alloc(const vsq_format *fmt, size_t rows, size_t cols, size_t channels,
                             vsq_qtensor *q);

#endif
