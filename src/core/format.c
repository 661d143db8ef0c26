/* Spec-string grammar of quantization formats (docs/formats.md) and the
 * element grid each format implies. */
#include "vsq/format.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_MAX 128

/* Parse a decimal integer that must make up all of `s`. */
static int parse_int_all(const char *s, long lo, long hi, long *out) {
    if (!*s || !isdigit((unsigned char)*s)) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static vsq_status parse_elem(const char *f, vsq_format *fmt, const char *spec) {
    const char *digits;
    if (!strncmp(f, "uint", 4)) {
        fmt->elem = VSQ_ELEM_UINT;
        digits = f + 4;
    } else if (!strncmp(f, "int", 3)) {
        fmt->elem = VSQ_ELEM_INT;
        digits = f + 3;
    } else {
        return vsq_error(VSQ_EINVAL, "format '%s': element type '%s' is not intN, intNf or uintN",
                         spec, f);
    }
    char buf[16];
    if (strlen(digits) >= sizeof buf)
        return vsq_error(VSQ_EINVAL, "format '%s': element type '%s' is too long", spec, f);
    snprintf(buf, sizeof buf, "%s", digits);
    size_t len = strlen(buf);
    if (len > 0 && buf[len - 1] == 'f' && fmt->elem == VSQ_ELEM_INT) {
        fmt->elem = VSQ_ELEM_INTF;
        buf[len - 1] = '\0';
    }
    long bits;
    if (parse_int_all(buf, 2, 8, &bits))
        return vsq_error(VSQ_EINVAL, "format '%s': element bits in '%s' must be 2..8", spec, f);
    fmt->bits = (int)bits;
    return VSQ_OK;
}

static vsq_status parse_gran(const char *f, vsq_format *fmt, const char *spec) {
    if (!strcmp(f, "pt")) {
        fmt->gran = VSQ_GRAN_TENSOR;
        return VSQ_OK;
    }
    if (!strcmp(f, "pc")) {
        fmt->gran = VSQ_GRAN_CHANNEL;
        return VSQ_OK;
    }
    long v;
    if (f[0] == 'v' && !parse_int_all(f + 1, 1, VSQ_MAX_VEC_LEN, &v)) {
        fmt->gran = VSQ_GRAN_VECTOR;
        fmt->vec_len = (int)v;
        return VSQ_OK;
    }
    return vsq_error(VSQ_EINVAL, "format '%s': granularity '%s' is not pt, pc or vV (V 1..4096)",
                     spec, f);
}

/* "sM", "sMr", "sMc", each optionally followed by "@pt". */
static vsq_status parse_two_level(const char *f, vsq_format *fmt, const char *spec) {
    char buf[32];
    if (strlen(f) >= sizeof buf)
        return vsq_error(VSQ_EINVAL, "format '%s': scale '%s' is too long", spec, f);
    snprintf(buf, sizeof buf, "%s", f + 1);
    char *at = strchr(buf, '@');
    if (at) {
        if (strcmp(at, "@pt") != 0)
            return vsq_error(VSQ_EINVAL, "format '%s': in '%s' only '@pt' may follow the scale",
                             spec, f);
        fmt->coarse_per_tensor = 1;
        *at = '\0';
    }
    size_t len = strlen(buf);
    fmt->variant = VSQ_TWOLEVEL_PAPER;
    if (len > 0 && buf[len - 1] == 'r') fmt->variant = VSQ_TWOLEVEL_REFINED;
    if (len > 0 && buf[len - 1] == 'c') fmt->variant = VSQ_TWOLEVEL_COARSE_FIRST;
    if (fmt->variant != VSQ_TWOLEVEL_PAPER) buf[len - 1] = '\0';
    long m;
    if (parse_int_all(buf, 1, 16, &m))
        return vsq_error(VSQ_EINVAL, "format '%s': scale '%s' must be sM[r|c][@pt] with M 1..16",
                         spec, f);
    fmt->scale = VSQ_SCALE_TWO_LEVEL;
    fmt->scale_bits = (int)m;
    return VSQ_OK;
}

static vsq_status parse_scale(const char *f, vsq_format *fmt, const char *spec) {
    if (!strcmp(f, "fp32")) fmt->scale = VSQ_SCALE_FP32;
    else if (!strcmp(f, "fp16")) fmt->scale = VSQ_SCALE_FP16;
    else if (!strcmp(f, "e8m0")) fmt->scale = VSQ_SCALE_E8M0;
    else if (f[0] == 's' && isdigit((unsigned char)f[1])) return parse_two_level(f, fmt, spec);
    else
        return vsq_error(VSQ_EINVAL, "format '%s': scale '%s' is not fp32, fp16, e8m0 or sM",
                         spec, f);
    return VSQ_OK;
}

static int is_scale_field(const char *f) {
    return !strcmp(f, "fp32") || !strcmp(f, "fp16") || !strcmp(f, "e8m0") ||
           (f[0] == 's' && isdigit((unsigned char)f[1]));
}

static vsq_status parse_calib(const char *f, vsq_format *fmt, const char *spec) {
    if (!strcmp(f, "max")) fmt->calib = VSQ_CALIB_MAX;
    else if (!strcmp(f, "entropy")) fmt->calib = VSQ_CALIB_ENTROPY;
    else if (!strcmp(f, "mse")) fmt->calib = VSQ_CALIB_MSE;
    else if (!strcmp(f, "octav")) fmt->calib = VSQ_CALIB_OCTAV;
    else if (f[0] == 'p' && (isdigit((unsigned char)f[1]) || f[1] == '.')) {
        char *end;
        errno = 0;
        double p = strtod(f + 1, &end);
        if (errno || *end || !(p > 0.0 && p <= 100.0))
            return vsq_error(VSQ_EINVAL, "format '%s': percentile '%s' must be pP with 0 < P <= 100",
                             spec, f);
        fmt->calib = VSQ_CALIB_PERCENTILE;
        fmt->percentile = p;
    } else
        return vsq_error(VSQ_EINVAL,
                         "format '%s': calibration '%s' is not max, pP, entropy, mse or octav",
                         spec, f);
    return VSQ_OK;
}

static vsq_status check_consistency(const vsq_format *fmt, const char *spec) {
    if (fmt->scale == VSQ_SCALE_TWO_LEVEL && fmt->gran != VSQ_GRAN_VECTOR)
        return vsq_error(VSQ_EINVAL,
                         "format '%s': two-level scales (sM) need per-vector granularity vV", spec);
    return VSQ_OK;
}

vsq_status vsq_format_parse(const char *spec, vsq_format *out) {
    if (!spec || !out) return vsq_error(VSQ_EINVAL, "format: null argument");
    if (strlen(spec) >= SPEC_MAX) return vsq_error(VSQ_EINVAL, "format spec is too long");
    char buf[SPEC_MAX];
    snprintf(buf, sizeof buf, "%s", spec);
    char *fields[5];
    int n = 0;
    char *p = buf;
    for (;;) {
        if (n == 5) return vsq_error(VSQ_EINVAL, "format '%s': too many ':' fields", spec);
        fields[n++] = p;
        char *colon = strchr(p, ':');
        if (!colon) break;
        *colon = '\0';
        p = colon + 1;
    }
    for (int i = 0; i < n; i++)
        if (!*fields[i]) return vsq_error(VSQ_EINVAL, "format '%s': empty field %d", spec, i + 1);
    if (n < 2)
        return vsq_error(VSQ_EINVAL, "format '%s': expected ELEM:GRAN[:SCALE][:CALIB]", spec);
    vsq_format fmt = {0};
    vsq_status st;
    if ((st = parse_elem(fields[0], &fmt, spec)) || (st = parse_gran(fields[1], &fmt, spec)))
        return st;
    int i = 2;
    if (i < n && is_scale_field(fields[i])) {
        if ((st = parse_scale(fields[i], &fmt, spec))) return st;
        i++;
    }
    if (i < n) {
        if ((st = parse_calib(fields[i], &fmt, spec))) return st;
        i++;
    }
    if (i < n)
        return vsq_error(VSQ_EINVAL, "format '%s': unexpected field '%s'", spec, fields[i]);
    if ((st = check_consistency(&fmt, spec))) return st;
    *out = fmt;
    return VSQ_OK;
}

/* The limits of the grammar (vsq/format.h), for formats that did not come
 * from vsq_format_parse: every function taking a vsq_format checks them. */
vsq_status vsq_format_check(const vsq_format *fmt) {
    if (!fmt) return vsq_error(VSQ_EINVAL, "format: null pointer");
    if ((unsigned)fmt->elem > VSQ_ELEM_UINT)
        return vsq_error(VSQ_EINVAL, "format: unknown element kind %d", (int)fmt->elem);
    if (fmt->bits < 2 || fmt->bits > 8)
        return vsq_error(VSQ_EINVAL, "format: element bits %d out of 2..8", fmt->bits);
    if ((unsigned)fmt->gran > VSQ_GRAN_VECTOR)
        return vsq_error(VSQ_EINVAL, "format: unknown granularity %d", (int)fmt->gran);
    if (fmt->gran == VSQ_GRAN_VECTOR && (fmt->vec_len < 1 || fmt->vec_len > VSQ_MAX_VEC_LEN))
        return vsq_error(VSQ_EINVAL, "format: vector length %d out of 1..%d", fmt->vec_len,
                         VSQ_MAX_VEC_LEN);
    if ((unsigned)fmt->scale > VSQ_SCALE_TWO_LEVEL)
        return vsq_error(VSQ_EINVAL, "format: unknown scale kind %d", (int)fmt->scale);
    if (fmt->scale == VSQ_SCALE_TWO_LEVEL) {
        if (fmt->gran != VSQ_GRAN_VECTOR)
            return vsq_error(VSQ_EINVAL, "format: two-level scales need per-vector granularity");
        if (fmt->scale_bits < 1 || fmt->scale_bits > 16)
            return vsq_error(VSQ_EINVAL, "format: scale bits %d out of 1..16", fmt->scale_bits);
        if ((unsigned)fmt->variant > VSQ_TWOLEVEL_COARSE_FIRST)
            return vsq_error(VSQ_EINVAL, "format: unknown two-level variant %d", (int)fmt->variant);
    }
    if ((unsigned)fmt->calib > VSQ_CALIB_OCTAV)
        return vsq_error(VSQ_EINVAL, "format: unknown calibration method %d", (int)fmt->calib);
    if (fmt->calib == VSQ_CALIB_PERCENTILE && !(fmt->percentile > 0.0 && fmt->percentile <= 100.0))
        return vsq_error(VSQ_EINVAL, "format: percentile %g not in (0, 100]", fmt->percentile);
    return VSQ_OK;
}

int vsq_format_str(const vsq_format *fmt, char *buf, size_t size) {
    static const char *elem_prefix[] = {"int", "int", "uint"};
    if (vsq_format_check(fmt) != VSQ_OK) {
        if (buf && size) buf[0] = '\0';
        return -1;
    }
    char elem[16], gran[16], scale[24], calib[32];
    snprintf(elem, sizeof elem, "%s%d%s", elem_prefix[fmt->elem], fmt->bits,
             fmt->elem == VSQ_ELEM_INTF ? "f" : "");
    if (fmt->gran == VSQ_GRAN_TENSOR) snprintf(gran, sizeof gran, "pt");
    else if (fmt->gran == VSQ_GRAN_CHANNEL) snprintf(gran, sizeof gran, "pc");
    else snprintf(gran, sizeof gran, "v%d", fmt->vec_len);
    switch (fmt->scale) {
    case VSQ_SCALE_FP32: snprintf(scale, sizeof scale, "fp32"); break;
    case VSQ_SCALE_FP16: snprintf(scale, sizeof scale, "fp16"); break;
    case VSQ_SCALE_E8M0: snprintf(scale, sizeof scale, "e8m0"); break;
    default:
        snprintf(scale, sizeof scale, "s%d%s%s", fmt->scale_bits,
                 fmt->variant == VSQ_TWOLEVEL_REFINED ? "r"
                 : fmt->variant == VSQ_TWOLEVEL_COARSE_FIRST ? "c" : "",
                 fmt->coarse_per_tensor ? "@pt" : "");
    }
    switch (fmt->calib) {
    case VSQ_CALIB_MAX: snprintf(calib, sizeof calib, "max"); break;
    case VSQ_CALIB_PERCENTILE: snprintf(calib, sizeof calib, "p%g", fmt->percentile); break;
    case VSQ_CALIB_ENTROPY: snprintf(calib, sizeof calib, "entropy"); break;
    case VSQ_CALIB_MSE: snprintf(calib, sizeof calib, "mse"); break;
    default: snprintf(calib, sizeof calib, "octav"); break;
    }
    return snprintf(buf, size, "%s:%s:%s:%s", elem, gran, scale, calib);
}

/* Element bits usable in a shift: 0 for a format outside the grammar. */
static int valid_bits(const vsq_format *fmt) {
    return fmt && fmt->bits >= 2 && fmt->bits <= 8 && (unsigned)fmt->elem <= VSQ_ELEM_UINT;
}

int vsq_format_qmin(const vsq_format *fmt) {
    if (!valid_bits(fmt)) return 0;
    switch (fmt->elem) {
    case VSQ_ELEM_INT: return -((1 << (fmt->bits - 1)) - 1);
    case VSQ_ELEM_INTF: return -(1 << (fmt->bits - 1));
    default: return 0;
    }
}

int vsq_format_qmax(const vsq_format *fmt) {
    if (!valid_bits(fmt)) return 0;
    return fmt->elem == VSQ_ELEM_UINT ? (1 << fmt->bits) - 1 : (1 << (fmt->bits - 1)) - 1;
}

int vsq_format_qref(const vsq_format *fmt) { return vsq_format_qmax(fmt); }

/* Bits of one stored scale of a per-vector group. */
static double vector_scale_bits(const vsq_format *fmt) {
    switch (fmt->scale) {
    case VSQ_SCALE_FP16: return 16;
    case VSQ_SCALE_E8M0: return 8;
    case VSQ_SCALE_TWO_LEVEL: return fmt->scale_bits;
    default: return 32;
    }
}

double vsq_format_bits_per_elem(const vsq_format *fmt, size_t rows, size_t cols,
                                size_t channels) {
    if (vsq_format_check(fmt) != VSQ_OK) return NAN;
    double n = (double)rows * (double)cols;
    if (n == 0) return fmt->bits;
    double scale_bits;
    if (fmt->gran == VSQ_GRAN_TENSOR) {
        scale_bits = 32;
    } else if (fmt->gran == VSQ_GRAN_CHANNEL) {
        scale_bits = 32.0 * (double)channels;
    } else {
        double n_vec = (double)rows * (double)((cols + fmt->vec_len - 1) / fmt->vec_len);
        scale_bits = n_vec * vector_scale_bits(fmt);
        if (fmt->scale == VSQ_SCALE_TWO_LEVEL)
            scale_bits += 32.0 * (fmt->coarse_per_tensor ? 1.0 : (double)channels);
    }
    return fmt->bits + scale_bits / n;
}
