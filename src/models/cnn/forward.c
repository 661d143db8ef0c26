/* The graph executor: one image through the nodes in topological order,
 * each reading and writing the work buffers plan.c assigned to its
 * tensors. MAC layers run with optional activation fake-quantization (or
 * the integer MAC path through vsq_gemm_ref, or the packed kernels); the
 * other ops are cheap. An input that a later node still reads is copied
 * before it is quantized in place (residual branches). */
#include "models/cnn/cnn.h"

#include <stdlib.h>
#include <string.h>

vsq_status cnn_work_alloc(const cnn_model *m, cnn_work *w) {
    memset(w, 0, sizeof *w);
    w->slot = calloc((size_t)m->n_slots + 1, sizeof *w->slot);
    w->n_slots = m->n_slots;
    int ok = w->slot != NULL;
    for (int s = 0; ok && s < m->n_slots; s++) ok = (w->slot[s] = malloc(m->slot_size[s] * sizeof(float))) != NULL;
    w->col = malloc(m->max_col * sizeof(float));
    w->tmp = malloc(m->max_act * sizeof(float));
    w->dws = malloc(cnn_dw_scratch_bytes(m) + 64);
    if (!ok || !w->col || !w->tmp || !w->dws) {
        cnn_work_free(w);
        return vsq_error(VSQ_ENOMEM, "no memory for CNN work buffers");
    }
    return VSQ_OK;
}

void cnn_work_free(cnn_work *w) {
    vsq_packed_a_free(&w->pa);
    for (int s = 0; w->slot && s < w->n_slots; s++) free(w->slot[s]);
    free(w->slot);
    free(w->col);
    free(w->tmp);
    free(w->dws);
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

/* A grouped convolution: each group is its own GEMM over its cin/groups
 * input channels (vectors along that group's reduction), written into its
 * slice of the output channels. Fake-quant path only. */
static vsq_status run_grouped_conv(const cnn_model *m, const cnn_qcfg *q, int i, cnn_work *w,
                                   const float *x, float *y) {
    const cnn_layer *l = &m->l[i];
    int quant = cnn_layer_quantized(q, m, i), cg = l->cout / l->groups;
    size_t rows = (size_t)l->oh * l->ow;
    const float *wt = quant && l->wq ? l->wq : l->w;
    for (int g = 0; g < l->groups; g++) {
        cnn_im2col_group(l, x, g, w->col);
        if (quant && q->quant_a) {
            vsq_status st = cnn_quant_act(q, m, i, w->col, rows, (size_t)l->k);
            if (st) return st;
        }
        cnn_sgemm_nt((int)rows, cg, l->k, w->col, wt + (size_t)g * cg * l->k, l->b + (size_t)g * cg, w->tmp);
        for (size_t r = 0; r < rows; r++)
            memcpy(y + r * l->cout + (size_t)g * cg, w->tmp + r * cg, (size_t)cg * sizeof(float));
    }
    return VSQ_OK;
}

/* Conv2D / Dense: im2col (unless 1x1 stride 1), quantize A, GEMM. */
static vsq_status run_gemm_layer(const cnn_model *m, const cnn_qcfg *q, int i, cnn_work *w,
                                 float *x, float *y, const float *clip) {
    const cnn_layer *l = &m->l[i];
    if (l->op == CNN_CONV && l->groups > 1) return run_grouped_conv(m, q, i, w, x, y);
    int quant = cnn_layer_quantized(q, m, i);
    size_t rows = (size_t)l->oh * l->ow;
    float *a = x;
    if (l->op == CNN_CONV && (l->kh != 1 || l->kw != 1 || l->sh != 1 || l->sw != 1 || l->pt || l->pl)) {
        cnn_im2col(l, x, w->col);
        a = w->col;
    }
    if (quant && q->use_int && l->wqt) return gemm_int(m, q, i, a, rows, y);
    if (quant && q->packed && l->wpk) return cnn_gemm_packed(m, q, i, w, a, rows, y, clip);
    if (quant && q->quant_a) {
        if (a == x && l->in_live) { /* a later node reads x unquantized */
            memcpy(w->tmp, x, rows * (size_t)l->k * sizeof(float));
            a = w->tmp;
        }
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
                               float *x, float *y, const float *clip) {
    const cnn_layer *l = &m->l[i];
    int quant = cnn_layer_quantized(q, m, i);
    const float *wt = quant && l->wq ? l->wq : l->w;
    size_t pix_in = (size_t)l->ih * l->iw;
    if (!quant || !q->quant_a) {
        cnn_dwconv(l, x, wt, y);
        return VSQ_OK;
    }
    if (q->packed && l->dwt) return cnn_dw_fused(m, q, i, w, x, y, clip);
    vsq_status st;
    if (q->use_int && l->wqt) {
        cnn_dw_im2col(l, x, w->col);
        return cnn_dw_int(m, q, i, w->col, y);
    }
    if (q->a_static || q->a.gran != VSQ_GRAN_VECTOR || q->dw == CNN_DW_CHANNEL) {
        if (l->in_live) { /* a later node reads x unquantized */
            memcpy(w->tmp, x, pix_in * l->cin * sizeof(float));
            x = w->tmp;
        }
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

/* The non-MAC node l with inputs xs[] into y. */
static void run_simple(const cnn_model *m, const cnn_layer *l, float *const *xs, float *y) {
    size_t n = (size_t)l->ih * l->iw * l->cin;
    switch (l->op) {
    case CNN_PAD: cnn_pad(l, xs[0], y); break;
    case CNN_GAP: cnn_gap(l, xs[0], y); break;
    case CNN_RELU: cnn_clip(xs[0], y, n, 0.0f, 3.4e38f); break;
    case CNN_RELU6: cnn_clip(xs[0], y, n, 0.0f, 6.0f); break;
    case CNN_CLIP: cnn_clip(xs[0], y, n, l->lo, l->hi); break;
    case CNN_SIGMOID: cnn_sigmoid(xs[0], y, n); break;
    case CNN_SOFTMAX:
        if (y != xs[0]) memcpy(y, xs[0], n * sizeof(float));
        cnn_softmax(y, (int)n);
        break;
    case CNN_AFFINE: cnn_affine(l, xs[0], y); break;
    case CNN_ADD:
    case CNN_MUL: cnn_binary(l, &m->t[l->in[0]], &m->t[l->in[1]], xs[0], xs[1], y); break;
    case CNN_CONCAT: cnn_concat(m, l, xs, y); break;
    case CNN_MAXPOOL:
    case CNN_AVGPOOL: cnn_pool(l, xs[0], y); break;
    case CNN_FLATTEN: cnn_flatten(l, xs[0], y); break;
    default: break;
    }
}

/* --kernel packed layers apply a following ReLU / ReLU6 / Clip while
 * writing their output (one pass less) when that node is the only reader
 * of the output and works in place (same buffer): clip = {lo, hi}. */
static int fused_clip(const cnn_model *m, const cnn_qcfg *q, int i, float *clip) {
    const cnn_layer *l = &m->l[i], *c = i + 1 < m->n ? &m->l[i + 1] : NULL;
    if (!q || !q->packed || !cnn_layer_quantized(q, m, i) || !c || c->n_in != 1 || c->in[0] != l->out) return 0;
    /* the layer must take the packed / fused branch below */
    int packed = l->op == CNN_DWCONV ? q->quant_a && l->dwt != NULL : !(q->use_int && l->wqt) && l->wpk != NULL;
    if (!packed) return 0;
    if (m->t[l->out].last_use != i + 1 || cnn_tensor_readers(m, l->out) != 1 ||
        m->t[c->out].slot != m->t[l->out].slot)
        return 0;
    switch (c->op) {
    case CNN_RELU: clip[0] = 0.0f, clip[1] = 3.4e38f; return 1; /* run_simple's bounds */
    case CNN_RELU6: clip[0] = 0.0f, clip[1] = 6.0f; return 1;
    case CNN_CLIP: clip[0] = c->lo, clip[1] = c->hi; return 1;
    default: return 0;
    }
}

vsq_status cnn_forward(const cnn_model *m, const cnn_qcfg *q, cnn_work *w, const float *img,
                       float *logits, cnn_observe_fn obs, void *obs_ctx) {
    memcpy(w->slot[m->t[0].slot], img, (size_t)m->in_h * m->in_w * m->in_c * sizeof(float));
    for (int i = 0; i < m->n; i++) {
        const cnn_layer *l = &m->l[i];
        float *xs[CNN_MAX_IN];
        for (int j = 0; j < l->n_in; j++) xs[j] = w->slot[m->t[l->in[j]].slot];
        float *x = xs[0], *y = w->slot[m->t[l->out].slot];
        vsq_status st = VSQ_OK;
        if (obs && cnn_is_mac(l)) obs(obs_ctx, i, x, (size_t)l->ih * l->iw * l->cin);
        float clip[2];
        int fuse = cnn_is_mac(l) && fused_clip(m, q, i, clip);
        if (l->op == CNN_CONV || l->op == CNN_DENSE) st = run_gemm_layer(m, q, i, w, x, y, fuse ? clip : NULL);
        else if (l->op == CNN_DWCONV) st = run_dw_layer(m, q, i, w, x, y, fuse ? clip : NULL);
        else run_simple(m, l, xs, y);
        if (st) return st;
        i += fuse; /* the clip node is done */
    }
    memcpy(logits, w->slot[m->t[m->out_t].slot], (size_t)m->n_classes * sizeof(float));
    return VSQ_OK;
}
