/* One image through the layer list: ping-pong activation buffers, MAC
 * layers with optional activation fake-quantization (or the integer MAC
 * path through vsq_gemm_ref), then the cheap elementwise ops. */
#include "models/cnn/cnn.h"

#include <stdlib.h>
#include <string.h>

vsq_status cnn_work_alloc(const cnn_model *m, cnn_work *w) {
    memset(w, 0, sizeof *w);
    w->buf[0] = malloc(m->max_act * sizeof(float));
    w->buf[1] = malloc(m->max_act * sizeof(float));
    w->col = malloc(m->max_col * sizeof(float));
    w->tmp = malloc(m->max_act * sizeof(float));
    if (!w->buf[0] || !w->buf[1] || !w->col || !w->tmp) {
        cnn_work_free(w);
        return vsq_error(VSQ_ENOMEM, "no memory for CNN work buffers");
    }
    return VSQ_OK;
}

void cnn_work_free(cnn_work *w) {
    vsq_packed_a_free(&w->pa);
    free(w->buf[0]);
    free(w->buf[1]);
    free(w->col);
    free(w->tmp);
    memset(w, 0, sizeof *w);
}

/* Y = A W^T + b through the integer vector MAC (paper 4.2, eq. 5). */
static vsq_status gemm_int(const cnn_model *m, const cnn_qcfg *q, int i, const float *a,
                           size_t rows, float *y) {
    const cnn_layer *l = &m->l[i];
    vsq_qtensor aq;
    vsq_status st = cnn_act_qtensor(q, m, i, a, rows, (size_t)l->k, &aq);
    if (st) return st;
    st = vsq_gemm_ref(&aq, l->wqt, 0, y, NULL);
    vsq_qtensor_free(&aq);
    if (st) return vsq_error(st, "layer %s integer GEMM: %s", l->name, vsq_last_error());
    for (size_t r = 0; r < rows; r++)
        for (int o = 0; o < l->cout; o++) y[r * l->cout + o] += l->b[o];
    return VSQ_OK;
}

/* Conv2D / Dense: im2col (unless 1x1 stride 1), quantize A, GEMM. */
static vsq_status run_gemm_layer(const cnn_model *m, const cnn_qcfg *q, int i, cnn_work *w,
                                 float *x, float *y) {
    const cnn_layer *l = &m->l[i];
    int quant = cnn_layer_quantized(q, m, i);
    size_t rows = (size_t)l->oh * l->ow;
    float *a = x;
    if (l->op == CNN_CONV && (l->kh != 1 || l->kw != 1 || l->sh != 1 || l->sw != 1 || l->pt || l->pl)) {
        cnn_im2col(l, x, w->col);
        a = w->col;
    }
    if (quant && q->use_int && l->wqt) return gemm_int(m, q, i, a, rows, y);
    if (quant && q->packed && l->wpk) return cnn_gemm_packed(m, q, i, w, a, rows, y);
    if (quant && q->quant_a) {
        vsq_status st = cnn_quant_act(q, m, i, a, rows, (size_t)l->k);
        if (st) return st;
    }
    const float *wt = quant && l->wq ? l->wq : l->w;
    cnn_sgemm_nt((int)rows, l->cout, l->k, a, wt, l->b, y);
    return VSQ_OK;
}

/* Depthwise: vectors either along the 3x3 window of one channel (quantize
 * the window matrix) or along channels at one pixel (quantize the input).
 * --int with window vectors runs each channel through vsq_gemm_ref. */
static vsq_status run_dw_layer(const cnn_model *m, const cnn_qcfg *q, int i, cnn_work *w,
                               float *x, float *y) {
    const cnn_layer *l = &m->l[i];
    int quant = cnn_layer_quantized(q, m, i);
    const float *wt = quant && l->wq ? l->wq : l->w;
    size_t pix_in = (size_t)l->ih * l->iw;
    if (!quant || !q->quant_a) {
        cnn_dwconv(l, x, wt, y);
        return VSQ_OK;
    }
    vsq_status st;
    if (q->use_int && l->wqt) {
        cnn_dw_im2col(l, x, w->col);
        return cnn_dw_int(m, q, i, w->col, y);
    }
    if (q->a_static || q->a.gran != VSQ_GRAN_VECTOR || q->dw == CNN_DW_CHANNEL) {
        if ((st = cnn_quant_act(q, m, i, x, pix_in, (size_t)l->cin))) return st;
        cnn_dwconv(l, x, wt, y);
        return VSQ_OK;
    }
    size_t rows = (size_t)l->oh * l->ow * l->cin;
    cnn_dw_im2col(l, x, w->col);
    if ((st = cnn_quant_act(q, m, i, w->col, rows, (size_t)l->k))) return st;
    cnn_dwconv_col(l, w->col, wt, y);
    return VSQ_OK;
}

static void relu(float *x, size_t n, float hi) {
    for (size_t j = 0; j < n; j++) x[j] = x[j] < 0 ? 0 : (x[j] > hi ? hi : x[j]);
}

vsq_status cnn_forward(const cnn_model *m, const cnn_qcfg *q, cnn_work *w, const float *img,
                       float *logits, cnn_observe_fn obs, void *obs_ctx) {
    int cur = 0;
    memcpy(w->buf[0], img, (size_t)m->in_h * m->in_w * m->in_c * sizeof(float));
    for (int i = 0; i < m->n; i++) {
        const cnn_layer *l = &m->l[i];
        float *x = w->buf[cur], *y = w->buf[1 - cur];
        size_t n_in = (size_t)l->ih * l->iw * l->cin;
        vsq_status st = VSQ_OK;
        if (obs && cnn_is_mac(l)) obs(obs_ctx, i, x, n_in);
        switch (l->op) {
        case CNN_CONV:
        case CNN_DENSE: st = run_gemm_layer(m, q, i, w, x, y); break;
        case CNN_DWCONV: st = run_dw_layer(m, q, i, w, x, y); break;
        case CNN_PAD: cnn_pad(l, x, y); break;
        case CNN_GAP: cnn_gap(l, x, y); break;
        case CNN_RELU: relu(x, n_in, 3.4e38f); continue;
        case CNN_RELU6: relu(x, n_in, 6.0f); continue;
        case CNN_SOFTMAX: cnn_softmax(x, (int)n_in); continue;
        }
        if (st) return st;
        cur = 1 - cur;
    }
    memcpy(logits, w->buf[cur], (size_t)m->n_classes * sizeof(float));
    return VSQ_OK;
}
