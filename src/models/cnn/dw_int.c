/* Depthwise convolution through the integer vector MAC (--int, --dw window).
 *
 * The reduction of a depthwise output is the kh*kw window of one channel,
 * so each channel is its own tiny GEMM: A_c[pixel][tap] x W_c[1][tap]. The
 * whole window matrix is quantized once (so dynamic two-level coarse scales
 * are per tensor, exactly as on the fake-quant path); per channel we gather
 * its rows into a small qtensor and call vsq_gemm_ref with a one-row view
 * of the quantized weights. */
#include "models/cnn/cnn.h"

#include <stdlib.h>
#include <string.h>

/* One-row view of the weight qtensor (rows = channels). */
static vsq_qtensor weight_row(const vsq_qtensor *w, size_t c) {
    vsq_qtensor v = *w;
    v.rows = 1, v.channels = 1;
    v.codes = w->codes + c * w->cols;
    if (w->fmt.gran == VSQ_GRAN_VECTOR) v.scale = w->scale + c * w->n_vec, v.n_scale = w->n_vec;
    else if (w->fmt.gran == VSQ_GRAN_CHANNEL) v.scale = w->scale + c, v.n_scale = 1;
    if (w->sq) v.sq = w->sq + c * w->n_vec;
    if (w->gamma) v.gamma = w->gamma + (w->n_gamma == 1 ? 0 : c), v.n_gamma = 1;
    return v;
}

/* Rows p*C + c (p = 0..pix-1) of the activation qtensor, copied into g. */
static void gather_rows(const vsq_qtensor *a, size_t c, size_t C, size_t pix, vsq_qtensor *g) {
    size_t k = a->cols, nv = a->n_vec;
    int per_row = a->fmt.gran == VSQ_GRAN_VECTOR;
    for (size_t p = 0; p < pix; p++) {
        size_t r = p * C + c;
        memcpy(g->codes + p * k, a->codes + r * k, k * sizeof *g->codes);
        if (per_row) memcpy(g->scale + p * nv, a->scale + r * nv, nv * sizeof *g->scale);
        if (a->sq) memcpy(g->sq + p * nv, a->sq + r * nv, nv * sizeof *g->sq);
    }
}

vsq_status cnn_dw_int(const cnn_model *m, const cnn_qcfg *q, int i, const float *col, float *y) {
    const cnn_layer *l = &m->l[i];
    size_t C = (size_t)l->cin, pix = (size_t)l->oh * l->ow, k = (size_t)l->k;
    vsq_qtensor a;
    vsq_status st = cnn_act_qtensor(q, m, i, col, pix * C, k, &a);
    if (st) return st;
    vsq_qtensor g = a;
    g.rows = pix, g.channels = 1;
    int per_row = a.fmt.gran == VSQ_GRAN_VECTOR;
    g.n_scale = per_row ? pix * a.n_vec : a.n_scale;
    g.codes = malloc(pix * k * sizeof *g.codes);
    g.scale = per_row ? malloc(g.n_scale * sizeof *g.scale) : a.scale;
    g.sq = a.sq ? malloc(pix * a.n_vec * sizeof *g.sq) : NULL;
    float *yc = malloc(pix * sizeof *yc);
    if (!g.codes || !g.scale || (a.sq && !g.sq) || !yc) st = vsq_error(VSQ_ENOMEM, "layer %s: no memory", l->name);
    for (size_t c = 0; c < C && !st; c++) {
        gather_rows(&a, c, C, pix, &g);
        vsq_qtensor w = weight_row(l->wqt, c);
        st = vsq_gemm_ref(&g, &w, 0, yc, NULL);
        if (st) st = vsq_error(st, "layer %s integer MAC: %s", l->name, vsq_last_error());
        for (size_t p = 0; p < pix && !st; p++) y[p * C + c] = yc[p] + l->b[c];
    }
    free(g.codes);
    if (per_row) free(g.scale);
    free(g.sq);
    free(yc);
    vsq_qtensor_free(&a);
    return st;
}
