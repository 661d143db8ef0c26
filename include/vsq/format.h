/* vsq/format.h - quantization formats and the spec-string grammar.
 *
 *   SPEC  := ELEM ":" GRAN [ ":" SCALE ] [ ":" CALIB ]
 *   ELEM  := "int"N | "int"N"f" | "uint"N          N in 2..8
 *   GRAN  := "pt" | "pc" | "v"V                    V in 1..4096
 *   SCALE := "fp32" | "fp16" | "e8m0" | "s"M ["r"|"c"] ["@pt"]   M in 1..16
 *   CALIB := "max" | "p"P | "entropy" | "mse" | "octav"         0 < P <= 100
 *
 * The layer notation of the paper, "W/A/ws/as" (e.g. "4/8/6/10", "-" meaning
 * coarse scaling), is parsed by vsq_layer_cfg_parse() into a pair of formats.
 * See docs/formats.md for the full description.
 */
#ifndef VSQ_FORMAT_H
#define VSQ_FORMAT_H

#include <stddef.h>
#include "vsq/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    VSQ_ELEM_INT = 0,  /* signed symmetric: -(2^(N-1)-1) .. 2^(N-1)-1 (paper eq. 2) */
    VSQ_ELEM_INTF = 1, /* signed full two's complement: -2^(N-1) .. 2^(N-1)-1      */
    VSQ_ELEM_UINT = 2  /* unsigned: 0 .. 2^N-1                                     */
} vsq_elem_kind;

typedef enum {
    VSQ_GRAN_TENSOR = 0,  /* "pt": one scale for the whole tensor            */
    VSQ_GRAN_CHANNEL = 1, /* "pc": one scale per channel (see docs/formats.md) */
    VSQ_GRAN_VECTOR = 2   /* "vV": one scale per V elements along the vector axis */
} vsq_gran;

typedef enum {
    VSQ_SCALE_FP32 = 0,     /* float scale per group                          */
    VSQ_SCALE_FP16 = 1,     /* float scale rounded to IEEE binary16           */
    VSQ_SCALE_E8M0 = 2,     /* power-of-two scale (OCP MX), rounded up        */
    VSQ_SCALE_TWO_LEVEL = 3 /* M-bit unsigned int per vector x fp32 coarse (eq. 7) */
} vsq_scale_kind;

typedef enum {
    VSQ_TWOLEVEL_PAPER = 0,       /* "sM":  eq. 7a-7j exactly                    */
    VSQ_TWOLEVEL_REFINED = 1,     /* "sMr": re-round elements against s_q*gamma   */
    VSQ_TWOLEVEL_COARSE_FIRST = 2 /* "sMc": coarse scale first (paper 4.4, last para.) */
} vsq_twolevel_variant;

typedef enum {
    VSQ_CALIB_MAX = 0,
    VSQ_CALIB_PERCENTILE = 1,
    VSQ_CALIB_ENTROPY = 2,
    VSQ_CALIB_MSE = 3,
    VSQ_CALIB_OCTAV = 4
} vsq_calib_method;

typedef struct {
    vsq_elem_kind elem;
    int bits;                     /* N, 2..8 */
    vsq_gran gran;
    int vec_len;                  /* V for VSQ_GRAN_VECTOR, else 0 */
    vsq_scale_kind scale;
    int scale_bits;               /* M for two-level, else 0 */
    vsq_twolevel_variant variant; /* two-level only */
    int coarse_per_tensor;        /* two-level: 1 = "@pt" (one gamma per tensor) */
    vsq_calib_method calib;
    double percentile;            /* for VSQ_CALIB_PERCENTILE, e.g. 99.99 */
} vsq_format;

/* Largest vector length V of a per-vector format. */
#define VSQ_MAX_VEC_LEN 4096

/* Check a format built by hand against the limits of the grammar above
 * (element kind and bits, V, scale kind and bits, variant, calibration).
 * Every libvsq function that takes a vsq_format does this first. */
vsq_status vsq_format_check(const vsq_format *fmt);

/* Parse a spec string. On error returns VSQ_EINVAL with a message that
 * names the offending field. */
vsq_status vsq_format_parse(const char *spec, vsq_format *out);

/* Canonical spec string (all fields explicit). Returns the length written,
 * or -1 (and an empty string) for a format that fails vsq_format_check. */
int vsq_format_str(const vsq_format *fmt, char *buf, size_t size);

/* Integer code range of the element type (0 and 0 for an invalid format). */
int vsq_format_qmin(const vsq_format *fmt);
int vsq_format_qmax(const vsq_format *fmt);

/* Largest code magnitude used to map the clip value alpha to a scale
 * (2^(N-1)-1 for int/intf, 2^N-1 for uint); see docs/formats.md. */
int vsq_format_qref(const vsq_format *fmt);

/* Bits per element including scale overhead, for a tensor of `rows` rows of
 * `cols` elements (vectors along cols) in `channels` channels; NaN for an
 * invalid format. */
double vsq_format_bits_per_elem(const vsq_format *fmt, size_t rows, size_t cols,
                                size_t channels);

/* A weight + activation configuration, e.g. from "4/8/6/10" or two specs. */
typedef struct {
    vsq_format w;
    vsq_format a;
} vsq_layer_cfg;

/* Parse the paper's "W/A/ws/as" notation. `vec_len` is V for per-vector
 * parts; `a_unsigned` selects uintN for activations ("U" in the paper,
 * also accepted as a trailing 'U' on A, e.g. "4/4U/4/4").
 * W or A with '-' scale => per-channel weights / per-tensor activations;
 * a number => two-level per-vector with that many scale bits. */
vsq_status vsq_layer_cfg_parse(const char *spec, int vec_len, vsq_layer_cfg *out);

#ifdef __cplusplus
}
#endif
#endif
