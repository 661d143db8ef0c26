/* GPTQ for the CNN: X^T X of every MAC layer's input rows (im2col rows for
 * convolutions, per channel for depthwise layers), gathered on fp32
 * forward passes over calibration images, then used by
 * vsq_quantize_gptq when the weights are quantized (cnn_quant.c). */
#include <stdlib.h>
#include <string.h>

#include "models/cnn/cnn.h"

typedef struct {
    const cnn_model *m;
    double **h;
    float *col;
} gptq_ctx;

/* H += sum over rows of r r^T (upper triangle), rows of length k. */
static void add_rows(double *h, const float *rows, size_t n_rows, int k) {
    for (size_t p = 0; p < n_rows; p++) {
        const float *r = rows + p * (size_t)k;
        for (int i = 0; i < k; i++) {
            double ri = r[i];
            if (ri == 0.0) continue;
            double *hi = h + (size_t)i * k;
            for (int j = i; j < k; j++) hi[j] += ri * r[j];
        }
    }
}

static void mirror(double *h, int k) {
    for (int i = 0; i < k; i++)
        for (int j = 0; j < i; j++) h[(size_t)i * k + j] = h[(size_t)j * k + i];
}

static void observe(void *vctx, int layer, const float *x, size_t n) {
    gptq_ctx *c = vctx;
    const cnn_layer *l = &c->m->l[layer];
    double *h = c->h[layer];
    if (!h) return;
    size_t pix = (size_t)l->oh * l->ow;
    if (l->op == CNN_DENSE) {
        add_rows(h, x, n / (size_t)l->k, l->k);
    } else if (l->op == CNN_CONV) {
        cnn_im2col(l, x, c->col);
        add_rows(h, c->col, pix, l->k);
    } else { /* depthwise: one taps x taps Hessian per channel */
        cnn_dw_im2col(l, x, c->col);
        size_t taps = (size_t)l->k;
        for (size_t p = 0; p < pix; p++)
            for (int ch = 0; ch < l->cin; ch++)
                add_rows(h + ch * taps * taps, c->col + (p * l->cin + ch) * taps, 1, (int)taps);
    }
}

static size_t hessian_size(const cnn_layer *l) {
    size_t k = (size_t)l->k;
    return l->op == CNN_DWCONV ? (size_t)l->cin * k * k : k * k;
}

void cnn_gptq_free(const cnn_model *m, double **h) {
    if (!h) return;
    for (int i = 0; i < m->n; i++) free(h[i]);
    free(h);
}

vsq_status cnn_gptq_calibrate(const cnn_model *m, const cnn_dataset *d, int begin, int end,
                              double ***out) {
    if (begin < 0 || end > d->n || begin >= end)
        return vsq_error(VSQ_EINVAL, "gptq: image range [%d,%d) outside 0..%d", begin, end, d->n);
    gptq_ctx c = {m, calloc((size_t)m->n, sizeof(double *)), NULL};
    size_t col_max = 0;
    vsq_status st = c.h ? VSQ_OK : vsq_error(VSQ_ENOMEM, "gptq: out of memory");
    for (int i = 0; !st && i < m->n; i++) {
        const cnn_layer *l = &m->l[i];
        if (!cnn_is_mac(l) || l->groups > 1) continue; /* grouped convs: plain rounding */
        if (!(c.h[i] = calloc(hessian_size(l), sizeof(double))))
            st = vsq_error(VSQ_ENOMEM, "gptq: out of memory for layer %s", l->name);
        size_t col = (size_t)l->oh * l->ow * (size_t)l->k * (l->op == CNN_DWCONV ? (size_t)l->cin : 1);
        if (col > col_max) col_max = col;
    }
    if (!st && !(c.col = malloc(col_max * sizeof(float))))
        st = vsq_error(VSQ_ENOMEM, "gptq: out of memory for im2col");
    cnn_work w = {0}; /* zeroed: cnn_work_free is safe whatever happens below */
    float *logits = malloc((size_t)m->n_classes * sizeof(float));
    if (!st) st = logits ? cnn_work_alloc(m, &w) : vsq_error(VSQ_ENOMEM, "gptq: out of memory");
    size_t per = (size_t)d->size * d->size * 3;
    for (int i = begin; !st && i < end; i++)
        st = cnn_forward(m, NULL, &w, d->pix + per * i, logits, observe, &c);
    cnn_work_free(&w);
    free(logits);
    free(c.col);
    for (int i = 0; !st && i < m->n; i++) {
        const cnn_layer *l = &m->l[i];
        if (!c.h[i]) continue;
        int k = l->k, blocks = l->op == CNN_DWCONV ? l->cin : 1;
        for (int b = 0; b < blocks; b++) mirror(c.h[i] + (size_t)b * k * k, k);
    }
    if (st) {
        cnn_gptq_free(m, c.h);
        return st;
    }
    *out = c.h;
    return VSQ_OK;
}
