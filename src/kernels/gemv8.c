/* Preparation of the int8 paths (see vsqk_gemv8 in kernels_internal.h,
 * gemv8_avx2.c and vnni_avx512.c): decides whether the path is exact for
 * this operand pair on that ISA and lays out the activation side once per
 * call, so the loop over the (large) weight matrix does no per-vector
 * bookkeeping of its own beyond one multiply by the activation scale. */
#include <stdlib.h>
#include <string.h>

#include "kernels_internal.h"

#define INT32_LIM 2147483647.0

/* Largest |code| the activation format can produce, if every code fits in
 * int8 (int/intNf up to 8 bits, uint up to 7 bits); else 0. */
static int act_int8_bound(const vsq_packed_a *a) {
    const vsq_format *f = &a->fmt;
    if (f->elem == VSQ_ELEM_UINT) return f->bits <= 7 ? a->max_code : 0;
    return f->bits <= 8 ? a->max_code : 0;
}

/* 1 if every int16 and int32 intermediate is exact: a vpmaddubsw lane
 * (after the offset correction) is a sum of 2 code products, a vpmaddwd
 * lane 4 products times sw, and a row sum of one 16-element part of a
 * vector 16 products times sw; the product with sa is taken in int64. */
static int lanes_exact(const vsq_packed_w *w, int ca) {
    double cw = w->max_code ? w->max_code : 1;
    double sw = w->two_level && w->max_scale ? w->max_scale : 1; /* float scales: not in lanes */
    /* 3/4/6-bit: vphaddw adds two corrected vpmaddubsw lanes in int16 */
    int pairs_ok = w->cbits == 8 || 4.0 * cw * ca <= 32767.0;
    return pairs_ok && 2.0 * cw * ca <= 32767.0 && sw <= 32767.0 && 16.0 * cw * ca * sw <= INT32_LIM;
}

/* vpshufb controls: per int16 lane, the byte index of row r's scale for
 * half h; 128-bit lane L of half h covers elements 32h + 16L .. +15, i.e.
 * vector (32h + 16L) / V, whose scales are bytes 4 * vector + r. The high
 * byte of each lane is zeroed (index 0x80). */
static void scale_controls(int V, uint8_t ctl[4][2][32]) {
    for (int r = 0; r < 4; r++)
        for (int h = 0; h < 2; h++)
            for (int L = 0; L < 2; L++)
                for (int t = 0; t < 8; t++) {
                    ctl[r][h][16 * L + 2 * t] = (uint8_t)(4 * ((32 * h + 16 * L) / V) + r);
                    ctl[r][h][16 * L + 2 * t + 1] = 0x80;
                }
}

/* The same for a pair of rows (2p, 2p+1) after vphaddw merged them: int16
 * lanes 0-3 of each 128-bit lane belong to row 2p, lanes 4-7 to 2p+1. */
static void pair_controls(int V, uint8_t ctl[2][2][32]) {
    for (int p = 0; p < 2; p++)
        for (int h = 0; h < 2; h++)
            for (int L = 0; L < 2; L++)
                for (int t = 0; t < 8; t++) {
                    int r = 2 * p + t / 4;
                    ctl[p][h][16 * L + 2 * t] = (uint8_t)(4 * ((32 * h + 16 * L) / V) + r);
                    ctl[p][h][16 * L + 2 * t + 1] = 0x80;
                }
}

/* Which operand pairs each ISA's int8 path handles exactly. */
static int supported(const vsq_packed_a *a, const vsq_packed_w *w, vsq_isa isa, int ca) {
    /* two-level with u8 scales; on AVX2 GEMV also single-level float scales */
    int two = a->two_level && w->two_level && w->stype == VSQ_PSCALE_U8;
    int single = !a->two_level && !w->two_level && isa == VSQ_ISA_AVX2 &&
                 (w->stype == VSQ_PSCALE_F16 || w->stype == VSQ_PSCALE_F32);
    if (!two && !single) return 0;
    if (w->kp != a->kp || a->vec_len != w->vec_len || !a->fmt.bits) return 0;
    if (a->fmt.elem == VSQ_ELEM_UINT ? a->fmt.bits > 7 : a->fmt.bits > 8) return 0;
    if (ca > 128) return 0;
    if (isa == VSQ_ISA_AVXVNNI && a->m >= 4) return 0; /* AVX-VNNI: GEMV only */
    if (isa == VSQ_ISA_AVX512 || isa == VSQ_ISA_AVXVNNI) /* vpdpbusd: u8 x s8 in int32, no saturation */
        return 16.0 * (w->max_code ? w->max_code : 1) * ca * (w->max_scale ? w->max_scale : 1) <=
               INT32_LIM;
    if (isa != VSQ_ISA_AVX2 || a->m >= 4) return 0; /* AVX2: GEMV only */
    /* 8-bit: codes are read back signed (u ^ 0x80, so uint8 is out), and
     * |w| * sign(a, w) negates a, so a = -128 must not occur */
    if (w->cbits == 8 && (w->off != 128 || a->max_code > 127)) return 0;
    return lanes_exact(w, ca);
}


int vsqk_gemv8_prepare(const vsq_packed_a *a, const vsq_packed_w *w, vsqk_gemv8 *g, vsq_isa isa) {
    memset(g, 0, sizeof *g);
    if (!supported(a, w, isa, act_int8_bound(a))) return 0;
    size_t m = a->m, kp = a->kp;
    int avx2 = isa == VSQ_ISA_AVX2;
    /* one block: int8 codes (kp), offset terms (kp bytes either way), sa (kp) */
    size_t bytes = 3 * m * kp;
    g->block = vsqk_tls_buffer(VSQK_TLS_GEMV_A, bytes);
    if (!g->block) {
        g->block = aligned_alloc(64, bytes);
        g->owned = 1;
    }
    if (!g->block) return 0;
    g->c8 = g->block;
    if (avx2) g->corr = (int16_t *)(g->c8 + m * kp);
    else g->corr4 = (int32_t *)(g->c8 + m * kp);
    g->sap = (int32_t *)(g->c8 + 2 * m * kp);
    scale_controls(a->vec_len, g->ctl);
    pair_controls(a->vec_len, g->ctl2);
    size_t v = (size_t)a->vec_len;
    for (size_t i = 0; i < m; i++) {
        const int16_t *c = a->codes + i * kp;
        int8_t *c8 = g->c8 + i * kp;
        for (size_t e = 0; e < kp; e++) c8[e] = (int8_t)c[e];
        if (avx2) /* unused for 8-bit (signed codes) */
            for (size_t t = 0; t < kp / 2; t++)
                g->corr[i * kp / 2 + t] = (int16_t)(-w->off * (c[2 * t] + c[2 * t + 1]));
        else
            for (size_t l = 0; l < kp / 4; l++)
                g->corr4[i * kp / 4 + l] =
                    -w->off * (c[4 * l] + c[4 * l + 1] + c[4 * l + 2] + c[4 * l + 3]);
        /* lane l of a chunk covers elements 4l..4l+3 of that chunk */
        const double *sa = a->scale + i * a->n_vec;
        if (a->two_level)
            for (size_t l = 0; l < kp / 4; l++) g->sap[i * kp / 4 + l] = (int32_t)sa[l * 4 / v];
    }
    return 1;
}

void vsqk_gemv8_free(vsqk_gemv8 *g) {
    if (g->owned) free(g->block);
    memset(g, 0, sizeof *g);
}
