/* hw/hw_cfg.c - the paper's W/A/ws/as notation for hardware configurations
 * (paper 5, Fig. 3: '-' = per-channel/per-layer scaling). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/hw.h"

/* One field: a number in lo..hi, or '-' (0) when dash_ok. */
static int parse_field(const char *s, size_t len, int lo, int hi, int dash_ok, int *out) {
    if (len == 1 && s[0] == '-' && dash_ok) {
        *out = 0;
        return 0;
    }
    if (len == 0 || len > 3) return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

vsq_status vsq_hw_cfg_check(const vsq_hw_cfg *c) {
    if (c->w_bits < 2 || c->w_bits > 16 || c->a_bits < 2 || c->a_bits > 16)
        return vsq_error(VSQ_EINVAL, "hw config: W and A must be 2..16 bits");
    if (c->ws_bits < 0 || c->ws_bits > 16 || c->as_bits < 0 || c->as_bits > 16)
        return vsq_error(VSQ_EINVAL, "hw config: scale bits must be '-' or 1..16");
    if (c->v < 1 || c->v > 4096)
        return vsq_error(VSQ_EINVAL, "hw config: vector length V=%d not in 1..4096", c->v);
    if (c->round_bits < 0 || c->round_bits > 32)
        return vsq_error(VSQ_EINVAL, "hw config: rounding R=%d not in 0..32", c->round_bits);
    return VSQ_OK;
}

vsq_status vsq_hw_cfg_parse(const char *spec, int v, int round_bits, vsq_hw_cfg *out) {
    if (!spec) return vsq_error(VSQ_EINVAL, "hw config: missing W/A/ws/as");
    const char *p = spec;
    int f[4];
    for (int i = 0; i < 4; i++) {
        const char *end = strchr(p, '/');
        if (i < 3 && !end)
            return vsq_error(VSQ_EINVAL, "hw config '%s': expected W/A/ws/as", spec);
        size_t len = (i < 3) ? (size_t)(end - p) : strlen(p);
        if (i == 1 && len > 1 && (p[len - 1] == 'U' || p[len - 1] == 'u')) len--; /* "4U" */
        int lo = i < 2 ? 2 : 1, hi = i < 2 ? 16 : 16;
        if (parse_field(p, len, lo, hi, i >= 2, &f[i]) != 0)
            return vsq_error(VSQ_EINVAL, "hw config '%s': bad field %d (%s)", spec, i + 1,
                             i < 2 ? "bits 2..16" : "'-' or scale bits 1..16");
        p = (i < 3) ? end + 1 : p + strlen(p);
    }
    vsq_hw_cfg c = {f[0], f[1], f[2], f[3], v, round_bits};
    vsq_status st = vsq_hw_cfg_check(&c);
    if (st != VSQ_OK) return st;
    *out = c;
    return VSQ_OK;
}

int vsq_hw_cfg_str(const vsq_hw_cfg *c, char *buf, size_t size) {
    char ws[8] = "-", as[8] = "-";
    if (c->ws_bits) snprintf(ws, sizeof ws, "%d", c->ws_bits);
    if (c->as_bits) snprintf(as, sizeof as, "%d", c->as_bits);
    return snprintf(buf, size, "%d/%d/%s/%s", c->w_bits, c->a_bits, ws, as);
}

vsq_hw_gran vsq_hw_cfg_gran(const vsq_hw_cfg *c) {
    if (c->ws_bits && c->as_bits) return VSQ_HW_PVAW;
    if (c->ws_bits) return VSQ_HW_PVWO;
    if (c->as_bits) return VSQ_HW_PVAO;
    return VSQ_HW_POC;
}

const char *vsq_hw_gran_name(vsq_hw_gran g) {
    static const char *names[] = {"POC", "PVWO", "PVAO", "PVAW"};
    return (g >= VSQ_HW_POC && g <= VSQ_HW_PVAW) ? names[g] : "?";
}

/* Fig. 2b: the scale product is Mw x Ma -> Mw+Ma bits (only one side per
 * vector: that side's M bits); rounding keeps the R most significant. */
int vsq_hw_sprod_bits(const vsq_hw_cfg *c) {
    int full = c->ws_bits + c->as_bits;
    if (c->round_bits > 0 && c->round_bits < full) return c->round_bits;
    return full;
}
