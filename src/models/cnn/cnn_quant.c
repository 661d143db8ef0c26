/* VS-Quant post-training quantization hooks for the CNN runtime.
 *
 * Weights: quantized once, statically, on their GEMM matrix (reduction
 * axis last = the paper's vector axis along input channels C, sec. 3).
 * Conv2D K is ordered (ky, kx, ci), so for cin % V == 0 every vector is V
 * input channels of one kernel tap, exactly the paper's layout.
 * Activations (the inputs of Conv2D/DepthwiseConv2D/Dense):
 *   per-tensor spec ("pt")   static clip from a vsq_calibrator (calib split)
 *   per-vector spec ("vV")   dynamic, calibrated per vector at run time (paper 3)
 *   per-channel spec ("pc")  static-weights-only notion; rejected for activations
 * "uintN" activations become signed intN where the input can be negative
 * (the image input), as the paper's "U" (unsigned after ReLU) intends. */
#include "models/cnn/cnn.h"
#include "models/cnn/act_fast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cnn_qcfg_init(cnn_qcfg *q) { memset(q, 0, sizeof *q); }

void cnn_qcfg_free(cnn_qcfg *q) {
    free(q->alpha);
    q->alpha = NULL;
}

static int first_mac(const cnn_model *m) {
    for (int i = 0; i < m->n; i++)
        if (cnn_is_mac(&m->l[i])) return i;
    return -1;
}

int cnn_layer_quantized(const cnn_qcfg *q, const cnn_model *m, int i) {
    if (!q || !cnn_is_mac(&m->l[i])) return 0;
    if (q->layer_on && !q->layer_on[i]) return 0;
    return !(q->first == CNN_FIRST_FP32 && i == first_mac(m));
}

/* First layer "pixel" variant: vectors are the cin channels of one pixel. */
static vsq_format first_layer_fmt(const cnn_qcfg *q, const cnn_model *m, int i, vsq_format f) {
    if (q->first == CNN_FIRST_PIXEL && i == first_mac(m) && f.gran == VSQ_GRAN_VECTOR &&
        m->l[i].op == CNN_CONV)
        f.vec_len = m->l[i].cin;
    return f;
}

vsq_format cnn_act_format(const cnn_qcfg *q, const cnn_layer *l) {
    vsq_format f = q->a;
    if (f.elem == VSQ_ELEM_UINT && !l->in_nonneg) f.elem = VSQ_ELEM_INT;
    return f;
}

static vsq_status fakequant_dw_weights(const cnn_qcfg *q, cnn_layer *l, const vsq_format *f) {
    size_t taps = (size_t)l->k, c = (size_t)l->cin;
    if (q->dw == CNN_DW_WINDOW || f->gran != VSQ_GRAN_VECTOR)
        return vsq_fakequant(f, l->w, c, taps, c, l->wq);
    /* vectors across channels: quantize W^T [tap][c], then transpose back */
    float *t = malloc(taps * c * sizeof(float));
    if (!t) return vsq_error(VSQ_ENOMEM, "no memory for layer %s", l->name);
    for (size_t ch = 0; ch < c; ch++)
        for (size_t k = 0; k < taps; k++) t[k * c + ch] = l->w[ch * taps + k];
    vsq_status st = vsq_fakequant(f, t, taps, c, 1, t);
    for (size_t ch = 0; !st && ch < c; ch++)
        for (size_t k = 0; k < taps; k++) l->wq[ch * taps + k] = t[k * c + ch];
    free(t);
    return st;
}

/* GPTQ rounding with the layer's Hessian (depthwise: row by row, each
 * channel with its own); NULL hessian or unsupported mode: plain. */
static int gptq_applies(const cnn_qcfg *q, const cnn_layer *l, const vsq_format *f) {
    if (l->op == CNN_DWCONV) return q->dw == CNN_DW_WINDOW && !f->coarse_per_tensor;
    return 1;
}

static vsq_status gptq_layer(const double *h, cnn_layer *l, const vsq_format *f) {
    size_t rows = (size_t)l->cout, cols = (size_t)l->k;
    vsq_qtensor qt;
    if (l->op != CNN_DWCONV) {
        vsq_status st = vsq_quantize_gptq(f, l->w, rows, cols, rows, h, 0.01, &qt);
        if (!st) st = vsq_dequantize(&qt, l->wq);
        if (!st) vsq_qtensor_free(&qt);
        return st;
    }
    for (int ch = 0; ch < l->cin; ch++) {
        vsq_status st = vsq_quantize_gptq(f, l->w + (size_t)ch * cols, 1, cols, 1,
                                          h + (size_t)ch * cols * cols, 0.01, &qt);
        if (!st) st = vsq_dequantize(&qt, l->wq + (size_t)ch * cols);
        if (st) return st;
        vsq_qtensor_free(&qt);
    }
    return VSQ_OK;
}

static vsq_status quantize_layer(const cnn_model *m, const cnn_qcfg *q, int i) {
    cnn_layer *l = &m->l[i];
    size_t rows = (size_t)l->cout, cols = (size_t)l->k;
    vsq_format f = first_layer_fmt(q, m, i, q->layer_w ? q->layer_w[i] : q->w);
    l->wq = malloc(rows * cols * sizeof(float));
    if (!l->wq) return vsq_error(VSQ_ENOMEM, "no memory for layer %s", l->name);
    vsq_status st = q->hessian && q->hessian[i] && gptq_applies(q, l, &f)
                        ? gptq_layer(q->hessian[i], l, &f)
                    : l->op == CNN_DWCONV ? fakequant_dw_weights(q, l, &f)
                                          : vsq_fakequant(&f, l->w, rows, cols, rows, l->wq);
    if (st) return vsq_error(st, "layer %s weights: %s", l->name, vsq_last_error());
    if (q->packed && cnn_packable(q, m, i)) {
        l->wpk = calloc(1, sizeof *l->wpk);
        if (!l->wpk) return vsq_error(VSQ_ENOMEM, "no memory for layer %s", l->name);
        if ((st = vsq_quantize_pack_weights(&f, l->w, rows, cols, l->wpk)))
            return vsq_error(st, "layer %s packed weights: %s", l->name, vsq_last_error());
    }
    if (cnn_dw_fusable(q, m, i) && (st = cnn_dw_fuse_weights(l))) return st;
    if (q->use_int && (l->op != CNN_DWCONV || q->dw == CNN_DW_WINDOW)) {
        l->wqt = calloc(1, sizeof *l->wqt);
        if (!l->wqt) return vsq_error(VSQ_ENOMEM, "no memory for layer %s", l->name);
        if ((st = vsq_quantize(&f, l->w, rows, cols, rows, l->wqt)))
            return vsq_error(st, "layer %s weights: %s", l->name, vsq_last_error());
    }
    return VSQ_OK;
}

vsq_status cnn_quantize_weights(const cnn_model *m, const cnn_qcfg *q) {
    cnn_clear_weights(m);
    if (q->quant_a && q->a.gran == VSQ_GRAN_CHANNEL)
        return vsq_error(VSQ_EUNSUPPORTED, "activations: per-channel (pc) is not supported, use pt (static) or vV (dynamic)");
    if ((q->use_int || q->packed) && !(q->quant_w && q->quant_a))
        return vsq_error(VSQ_EINVAL, "the integer paths (--int, --kernel packed) need both --w and --a");
    if (q->use_int && q->packed) return vsq_error(VSQ_EINVAL, "--int and --kernel packed are exclusive");
    if (!q->quant_w && !q->use_int) return VSQ_OK;
    for (int i = 0; i < m->n; i++) {
        if (!cnn_layer_quantized(q, m, i)) continue;
        vsq_status st = quantize_layer(m, q, i);
        if (st) { cnn_clear_weights(m); return st; }
    }
    return VSQ_OK;
}

void cnn_clear_weights(const cnn_model *m) {
    for (int i = 0; i < m->n; i++) {
        free(m->l[i].wq);
        m->l[i].wq = NULL;
        if (m->l[i].wqt) vsq_qtensor_free(m->l[i].wqt);
        if (m->l[i].wpk) vsq_packed_w_free(m->l[i].wpk);
        free(m->l[i].wpk);
        m->l[i].wpk = NULL;
        free(m->l[i].dwt);
        m->l[i].dwt = NULL;
        free(m->l[i].wqt);
        m->l[i].wqt = NULL;
    }
}

/* Quantize an activation matrix (vectors along cols) into qt. */
vsq_status cnn_act_qtensor(const cnn_qcfg *q, const cnn_model *m, int i, const float *x,
                           size_t rows, size_t cols, vsq_qtensor *qt) {
    vsq_format f = first_layer_fmt(q, m, i, cnn_act_format(q, &m->l[i]));
    vsq_status st = q->a_static ? vsq_quantize_with_alpha(&f, x, rows, cols, 1, &q->alpha[i], qt)
                                : vsq_quantize(&f, x, rows, cols, 1, qt);
    if (st) return vsq_error(st, "layer %s activations: %s", m->l[i].name, vsq_last_error());
    return VSQ_OK;
}

vsq_status cnn_quant_act(const cnn_qcfg *q, const cnn_model *m, int i, float *x, size_t rows,
                         size_t cols) {
    vsq_format ff = first_layer_fmt(q, m, i, cnn_act_format(q, &m->l[i]));
    /* allocation-free and bit-identical to the library calls below (act_fast.c) */
    if (cnn_fast_act_ok(&ff, q->a_static) && !q->slow)
        return cnn_fast_fakequant(&ff, x, rows, cols, q->a_static ? &q->alpha[i] : NULL, m->l[i].name);
    if (!q->a_static) {
        vsq_format f = first_layer_fmt(q, m, i, cnn_act_format(q, &m->l[i]));
        vsq_status st = vsq_fakequant(&f, x, rows, cols, 1, x);
        if (st) return vsq_error(st, "layer %s activations: %s", m->l[i].name, vsq_last_error());
        return VSQ_OK;
    }
    vsq_qtensor qt;
    vsq_status st = cnn_act_qtensor(q, m, i, x, rows, cols, &qt);
    if (st) return st;
    st = vsq_dequantize(&qt, x);
    vsq_qtensor_free(&qt);
    return st;
}
