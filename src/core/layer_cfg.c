/* The paper's layer notation W/A/ws/as (Figures 3-7): weight bits,
 * activation bits, weight scale bits, activation scale bits; '-' means
 * coarse scaling (per-channel weights, per-tensor activations). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsq/format.h"

static int parse_bits(const char *s, int lo, int hi, int *out, int *unsigned_flag) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s) return -1;
    if (unsigned_flag && (*end == 'U' || *end == 'u')) {
        *unsigned_flag = 1;
        end++;
    }
    if (*end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

/* One side (weights or activations): N bits with a scale field. */
static vsq_status side_format(const char *what, int bits, int is_unsigned, const char *scale,
                              int vec_len, int is_weight, const char *spec, vsq_format *f) {
    char buf[64];
    const char *elem = is_unsigned ? "uint" : "int";
    if (!strcmp(scale, "-"))
        snprintf(buf, sizeof buf, "%s%d:%s", elem, bits, is_weight ? "pc" : "pt");
    else if (!strcmp(scale, "fp32") || !strcmp(scale, "fp16") || !strcmp(scale, "e8m0"))
        snprintf(buf, sizeof buf, "%s%d:v%d:%s", elem, bits, vec_len, scale);
    else {
        int m;
        if (parse_bits(scale, 1, 16, &m, NULL))
            return vsq_error(VSQ_EINVAL,
                             "layer config '%s': %s scale '%s' must be '-', fp32, fp16, e8m0 "
                             "or 1..16 bits",
                             spec, what, scale);
        snprintf(buf, sizeof buf, "%s%d:v%d:s%d", elem, bits, vec_len, m);
    }
    return vsq_format_parse(buf, f);
}

vsq_status vsq_layer_cfg_parse(const char *spec, int vec_len, vsq_layer_cfg *out) {
    if (!spec || !out) return vsq_error(VSQ_EINVAL, "layer config: null argument");
    if (vec_len < 1 || vec_len > 4096)
        return vsq_error(VSQ_EINVAL, "layer config '%s': vector length %d out of 1..4096", spec,
                         vec_len);
    char buf[64];
    if (strlen(spec) >= sizeof buf) return vsq_error(VSQ_EINVAL, "layer config is too long");
    snprintf(buf, sizeof buf, "%s", spec);
    char *part[5];
    int n = 0;
    for (char *p = buf;; ) {
        if (n == 5) break;
        part[n++] = p;
        char *slash = strchr(p, '/');
        if (!slash) break;
        *slash = '\0';
        p = slash + 1;
    }
    if (n != 2 && n != 4)
        return vsq_error(VSQ_EINVAL, "layer config '%s': expected W/A/ws/as (e.g. 4/8/6/10)",
                         spec);
    int wbits, abits, a_unsigned = 0;
    if (parse_bits(part[0], 2, 8, &wbits, NULL))
        return vsq_error(VSQ_EINVAL, "layer config '%s': weight bits '%s' must be 2..8", spec,
                         part[0]);
    if (parse_bits(part[1], 2, 8, &abits, &a_unsigned))
        return vsq_error(VSQ_EINVAL,
                         "layer config '%s': activation bits '%s' must be 2..8, optionally "
                         "followed by U",
                         spec, part[1]);
    const char *ws = n == 4 ? part[2] : "-", *as = n == 4 ? part[3] : "-";
    vsq_layer_cfg cfg;
    vsq_status st = side_format("weight", wbits, 0, ws, vec_len, 1, spec, &cfg.w);
    if (st) return st;
    st = side_format("activation", abits, a_unsigned, as, vec_len, 0, spec, &cfg.a);
    if (st) return st;
    *out = cfg;
    return VSQ_OK;
}
