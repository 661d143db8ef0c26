/* The activation side of the AVX-512 VNNI GEMV (vsqk_gemv_act, see
 * kernels_internal.h and x86/gemv_avx512.c): when the path is exact, and
 * the layout itself, from packed activations or fused from fp32 rows.
 *
 * Exactness (every bound from the operands' actual maxima): a vpdpbusd
 * lane sums 4 products u * a (u <= 255, |a| <= 128) plus -off * (4 codes),
 * a reduced lane 16 code * a products (<= 16 * 128 * 128); sw * sa is
 * formed by vpmaddwd, so sa must fit int16 (sw <= 255 is a u8 scale); the
 * products with the dots are int64, and the total must stay below 2^63 as
 * in the reference (the same bound as vsq_gemm_packed's check). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_internal.h"
#include "quant/quant_internal.h"
#include "quantize_pack.h"

int vsqk_fast_fmt(const vsq_format *f);

int vsqk_gemv_a512_ok(const vsq_packed_w *w, const vsq_format *afmt, int vec_len,
                      int max_code_a, uint32_t max_scale_a, size_t n_vec) {
    if (!w->two_level || w->stype != VSQ_PSCALE_U8 || vec_len != w->vec_len) return 0;
    if (afmt->scale != VSQ_SCALE_TWO_LEVEL || !afmt->bits) return 0;
    if (afmt->elem == VSQ_ELEM_UINT ? afmt->bits > 7 : afmt->bits > 8) return 0;
    if (max_code_a > 128 || max_scale_a > 32767 || w->max_code > 255 || w->max_scale > 255)
        return 0;
    double b = (double)w->vec_len * (w->max_code ? w->max_code : 1) * (max_code_a ? max_code_a : 1) *
               ((double)w->max_scale + 1) * ((double)max_scale_a + 1) * (double)n_vec;
    return log2(b) < 63.0;
}

/* One block for m rows: codes (kp), corr and sal (kp each, as int32 / 4),
 * gamma. */
static int act_alloc(vsqk_gemv_act *g, size_t m, size_t kp) {
    memset(g, 0, sizeof *g);
    size_t bytes = m * kp * 3 + 64;
    g->block = vsqk_tls_buffer(VSQK_TLS_GEMV_A, bytes);
    if (!g->block) {
        g->block = aligned_alloc(64, (bytes + 63) / 64 * 64);
        g->owned = 1;
    }
    if (!g->block) return 0;
    g->m = m;
    g->kp = kp;
    g->c8 = g->block;
    g->corr = (int32_t *)(g->c8 + m * kp);
    g->sal = (int32_t *)(g->c8 + 2 * m * kp);
    g->gamma = (float *)(g->c8 + 3 * m * kp);
    return 1;
}

/* Row i's sal from its integer scales sq[v] (v = vector index). */
static void fill_sal(vsqk_gemv_act *g, const vsq_packed_w *w, size_t i, const uint32_t *sq) {
    int V = w->vec_len, rowdummy, grp[16];
    for (int l = 0; l < 16; l++) vsqk_gemv_lane(w->cbits, l, &rowdummy, &grp[l]);
    int32_t *s = g->sal + i * g->kp / 4;
    for (size_t c = 0; c < g->kp / VSQK_CHUNK; c++)
        for (int l = 0; l < 16; l++)
            s[16 * c + l] = (int32_t)sq[(VSQK_CHUNK * c + 16 * (size_t)grp[l]) / (size_t)V];
}

int vsqk_gemv_act_from_packed(const vsq_packed_a *a, const vsq_packed_w *w, vsqk_gemv_act *g) {
    memset(g, 0, sizeof *g);
    if (!a->two_level || a->m > 3 || a->kp != w->kp ||
        !vsqk_gemv_a512_ok(w, &a->fmt, a->vec_len, a->max_code, a->max_scale, a->n_vec))
        return 0;
    size_t kp = a->kp, nv = a->n_vec;
    uint32_t *sq = malloc(nv * sizeof *sq);
    if (!sq || !act_alloc(g, a->m, kp)) {
        free(sq);
        vsqk_gemv_act_free(g);
        return 0;
    }
    for (size_t i = 0; i < a->m; i++) {
        const int16_t *c = a->codes + i * kp;
        for (size_t e = 0; e < kp; e++) g->c8[i * kp + e] = (int8_t)c[e];
        for (size_t l = 0; l < kp / 4; l++)
            g->corr[i * kp / 4 + l] = -w->off * (c[4 * l] + c[4 * l + 1] + c[4 * l + 2] + c[4 * l + 3]);
        for (size_t v = 0; v < nv; v++) sq[v] = (uint32_t)a->scale[i * nv + v];
        fill_sal(g, w, i, sq);
        g->gamma[i] = a->gamma[i];
    }
    g->max_code = a->max_code;
    g->max_scale = a->max_scale;
    free(sq);
    return 1;
}

vsq_status vsqk_gemv_act_quantize(const vsq_format *fmt, const float *x, size_t m,
                                  const vsq_packed_w *w, vsqk_gemv_act *g) {
    memset(g, 0, sizeof *g);
    /* what the format allows; the actual maxima are checked after */
    if (m == 0 || m > 3 || !vsqk_fast_fmt(fmt) || fmt->scale != VSQ_SCALE_TWO_LEVEL ||
        fmt->scale_bits > 15 || !vsqk_gemv_a512_ok(w, fmt, fmt->vec_len, 1, 1, 1))
        return VSQ_EUNSUPPORTED;
    size_t k = w->k, kp = w->kp, nv = kp / (size_t)fmt->vec_len;
    size_t wb = (vsqk_qrow_work_bytes(kp, fmt->vec_len) + 31) / 32 * 32;
    void *work = vsqk_tls_buffer(VSQK_TLS_QROW, wb), *owned = NULL;
    if (!work) work = owned = aligned_alloc(32, wb);
    uint32_t *sq = malloc(nv * sizeof *sq);
    if (!work || !sq || !act_alloc(g, m, kp)) {
        free(owned), free(sq);
        vsqk_gemv_act_free(g);
        return vsq_error(VSQ_ENOMEM, "activations: out of memory");
    }
    int nonfinite = 0;
    for (size_t i = 0; i < m && !nonfinite; i++) {
        int c;
        uint32_t s;
        const float *next = i + 1 < m ? x + (i + 1) * k : NULL;
        nonfinite = vsqk_qact_row8_avx2(fmt, x + i * k, next, k, kp, w->off, g->c8 + i * kp,
                                        g->corr + i * kp / 4, sq, &g->gamma[i], &c, &s, work);
        if (nonfinite) break;
        fill_sal(g, w, i, sq);
        if (c > g->max_code) g->max_code = c;
        if (s > g->max_scale) g->max_scale = s;
    }
    free(owned), free(sq);
    if (nonfinite) {
        vsqk_gemv_act_free(g);
        vsq_status st = vsq_check_finite(x, m * k, "activations"); /* the usual message */
        return st ? st : vsq_error(VSQ_ENONFINITE, "activations: not finite");
    }
    if (!vsqk_gemv_a512_ok(w, fmt, fmt->vec_len, g->max_code, g->max_scale, nv)) {
        vsqk_gemv_act_free(g); /* the general path reports what does not fit */
        return VSQ_EUNSUPPORTED;
    }
    return VSQ_OK;
}

void vsqk_gemv_act_free(vsqk_gemv_act *g) {
    if (g->owned) free(g->block);
    memset(g, 0, sizeof *g);
}
