/* GPTQ calibration for the BERT encoder: H = X^T X of every Linear layer's
 * inputs over fp32 passes on train sentences (never the test split). The
 * per-batch product runs as an fp32 GEMM (X^T times X^T transposed) and is
 * accumulated in double across batches. */
#include "models/bert/bert.h"
#include "models/cnn/cnn.h" /* cnn_sgemm_nt */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double **h;
    float *xt, *prod; /* scratch: X^T (cols x rows), cols x cols */
    size_t xt_cap;
    int cols_max;
    vsq_status st;
} hess_ctx;

static void observe_hessian(void *ctx, const bert_linear *l, const float *x, size_t rows) {
    hess_ctx *c = ctx;
    size_t k = (size_t)l->cols;
    if (c->st) return;
    if (rows * k > c->xt_cap) {
        free(c->xt);
        c->xt = malloc(rows * k * sizeof(float));
        c->xt_cap = c->xt ? rows * k : 0;
        if (!c->xt) {
            c->st = vsq_error(VSQ_ENOMEM, "gptq: out of memory for %s", l->name);
            return;
        }
    }
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < k; i++) c->xt[i * rows + r] = x[r * k + i];
    cnn_sgemm_nt((int)k, (int)k, (int)rows, c->xt, c->xt, NULL, c->prod);
    double *h = c->h[l->id];
    for (size_t i = 0; i < k * k; i++) h[i] += c->prod[i];
}

void bert_gptq_free(const bert_model *m, double **hess) {
    for (int i = 0; hess && i < bert_n_lin(m); i++) free(hess[i]);
    free(hess);
}

vsq_status bert_gptq_hessians(bert_model *m, const bert_ids *s, double ***out) {
    int nl = bert_n_lin(m);
    size_t kmax = (size_t)(m->cfg.ffn > m->cfg.hidden ? m->cfg.ffn : m->cfg.hidden);
    hess_ctx c = {calloc((size_t)nl, sizeof(double *)), NULL, malloc(kmax * kmax * sizeof(float)),
                  0, (int)kmax, VSQ_OK};
    float *emb = malloc((size_t)s->n * m->cfg.hidden * sizeof(float));
    vsq_status st = c.h && c.prod && emb ? VSQ_OK : vsq_error(VSQ_ENOMEM, "gptq: out of memory");
    for (int i = 0; !st && i < nl; i++) {
        size_t k = (size_t)bert_lin(m, i)->cols;
        if (!(c.h[i] = calloc(k * k, sizeof(double))))
            st = vsq_error(VSQ_ENOMEM, "gptq: out of memory for the Hessians");
    }
    struct bert_quant *saved = m->q;
    if (!st) {
        m->q = NULL; /* Hessians of the fp32 model's inputs */
        m->observe = observe_hessian;
        m->observe_ctx = &c;
        st = bert_embed(m, s, 2048, emb, NULL);
        m->observe = NULL;
        m->q = saved;
        if (!st) st = c.st;
    }
    free(c.xt), free(c.prod), free(emb);
    if (st) {
        bert_gptq_free(m, c.h);
        return st;
    }
    *out = c.h;
    return VSQ_OK;
}
