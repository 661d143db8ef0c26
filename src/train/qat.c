/* Quantization-aware training (paper section 7): weights and MAC-layer
 * inputs are fake-quantized in the forward pass with the library's
 * quantizer (any format spec: per-channel, per-vector, two-level sM), and
 * the backward pass uses the straight-through estimator. Scales are
 * recomputed from the current tensors at every step, never trained ("the
 * quantization scale factors are not parameters").
 *
 * STE: d fq(x)/dx = 1 where x lies inside the clip range of its group,
 * 0 outside. With `mad` (OCTAV's magnitude-aware differentiation) a
 * clipped weight gets alpha/|x| instead of 0, so clipped weights keep a
 * gradient that shrinks with their distance from the clip value. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "train/layers_internal.h"

/* Index of the effective scale of element (r, c) (see vsq/quant.h). */
static size_t scale_index(const vsq_qtensor *q, size_t r, size_t c) {
    switch (q->fmt.gran) {
    case VSQ_GRAN_TENSOR: return 0;
    case VSQ_GRAN_CHANNEL: return r / (q->rows / q->channels);
    default: return r * q->n_vec + c / q->vec_len;
    }
}

vsq_status tr_fakequant_ste(const vsq_format *f, const float *x, size_t rows, size_t cols,
                            size_t channels, int mad, float *y, float *g) {
    vsq_qtensor q;
    vsq_status st = vsq_quantize(f, x, rows, cols, channels, &q);
    if (st) return st;
    if (g) {
        double lo = vsq_format_qmin(f) - 0.5, hi = vsq_format_qmax(f) + 0.5;
        double qref = fabs((double)vsq_format_qmin(f)) > vsq_format_qmax(f) ? fabs((double)vsq_format_qmin(f))
                                                                            : vsq_format_qmax(f);
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < cols; c++) {
                size_t i = r * cols + c;
                double s = q.scale[scale_index(&q, r, c)];
                double u = s != 0 ? x[i] / s : 0.0;
                if (u >= lo && u <= hi) { g[i] = 1.0f; continue; }
                double alpha = qref * fabs(s);
                g[i] = mad && x[i] != 0 ? (float)(alpha / fabs((double)x[i])) : 0.0f;
            }
    }
    st = vsq_dequantize(&q, y);
    vsq_qtensor_free(&q);
    return st;
}

/* Conv/dense W[out][K] quantize as rows = out channels, vectors along K.
 * Depthwise W[c][taps]: per channel as rows; with per-vector formats the
 * vectors run across channels (W^T [tap][c], V channels of one tap share a
 * scale: the CNN engine's --dw channels), or with dw_window along each
 * channel's taps (the CNN engine's default --dw window; for 3x3 and V >= 9
 * that is one scale per channel, i.e. per-channel). */
static vsq_status quantize_layer_weights(tr_net *net, tr_layer *l) {
    const float *w = net->params + l->w_off;
    const vsq_format *f = &net->qat->w;
    int mad = net->qat->mad;
    if (l->op != TR_DWCONV || f->gran != VSQ_GRAN_VECTOR || net->qat->dw_window) {
        size_t rows = l->op == TR_DWCONV ? (size_t)l->ic : (size_t)l->oc;
        return tr_fakequant_ste(f, w, rows, l->nw / rows, rows, mad, l->wq, l->wg);
    }
    size_t c = (size_t)l->ic, taps = l->nw / c;
    float *t = malloc(sizeof(float) * 3 * l->nw);
    if (!t) return vsq_error(VSQ_ENOMEM, "no memory for layer %s", l->name);
    float *tq = t + l->nw, *tg = tq + l->nw;
    for (size_t ch = 0; ch < c; ch++)
        for (size_t k = 0; k < taps; k++) t[k * c + ch] = w[ch * taps + k];
    vsq_status st = tr_fakequant_ste(f, t, taps, c, 1, mad, tq, tg);
    for (size_t ch = 0; !st && ch < c; ch++)
        for (size_t k = 0; k < taps; k++)
            l->wq[ch * taps + k] = tq[k * c + ch], l->wg[ch * taps + k] = tg[k * c + ch];
    free(t);
    return st;
}

vsq_status tr_qat_weights(tr_net *net) {
    for (int i = 0; i < net->n; i++) {
        tr_layer *l = &net->l[i];
        if (!l->wq) continue;
        vsq_status st = quantize_layer_weights(net, l);
        if (st) return vsq_error(st, "layer %s weights: %s", l->name, vsq_last_error());
    }
    return VSQ_OK;
}

/* Input of a MAC layer: per image a matrix of H*W rows (pixels) and C
 * columns (channels, the vector axis), one coarse group (the image):
 * dynamic scales per image, as the paper's per-vector activations. A
 * uintN format applies only where the input is provably >= 0 (after
 * ReLU/ReLU6); elsewhere the signed intN of the same width is used. */
static int input_nonneg(const tr_net *net, int li) {
    for (int j = li - 1; j >= 0; j--) {
        tr_op op = net->l[j].op;
        if (op == TR_MAXPOOL || op == TR_AVGPOOL || op == TR_GAP) continue; /* keep the sign */
        return op == TR_RELU || op == TR_RELU6;
    }
    return 0;
}

vsq_status tr_qat_input(tr_net *net, int li, float *x, int n) {
    tr_layer *l = &net->l[li];
    vsq_format f = net->qat->a;
    int nonneg = input_nonneg(net, li);
    if (f.elem == VSQ_ELEM_UINT && !nonneg) f.elem = VSQ_ELEM_INT;
    size_t rows = l->op == TR_DENSE ? 1 : (size_t)l->ih * l->iw;
    size_t cols = tr_layer_in_size(l) / rows, sz = tr_layer_in_size(l);
    vsq_status st = VSQ_OK;
#pragma omp parallel for num_threads(net->n_threads) schedule(static)
    for (int i = 0; i < n; i++) {
        vsq_status s = tr_fakequant_ste(&f, x + (size_t)i * sz, rows, cols, 1, 0, x + (size_t)i * sz,
                                        l->ag + (size_t)i * sz);
        if (s) {
#pragma omp critical
            st = s;
        }
    }
    if (st) return vsq_error(st, "layer %s input: %s", l->name, vsq_last_error());
    return VSQ_OK;
}

/* Any format the quantizer accepts is allowed; a format it rejects for a
 * layer is reported by layer name before training starts (the weights are
 * quantized once here). */
vsq_status tr_qat_attach(tr_net *net, const tr_qat *q) {
    tr_qat_detach(net);
    /* one coarse group per image: "pc" would silently be per-tensor */
    if (q->a.gran == VSQ_GRAN_CHANNEL)
        return vsq_error(VSQ_EUNSUPPORTED, "activations: per-channel (pc) is not supported, use pt or vV");
    net->qat = q;
    int first = 1;
    for (int i = 0; i < net->n; i++) {
        tr_layer *l = &net->l[i];
        if (l->op > TR_DENSE) continue;
        l->wq = malloc(sizeof(float) * l->nw);
        l->wg = malloc(sizeof(float) * l->nw);
        if (!l->wq || !l->wg) return vsq_error(VSQ_ENOMEM, "no memory for layer %s", l->name);
        l->quant_in = !first || q->quant_first_in;
        if (l->quant_in && !(l->ag = malloc(sizeof(float) * tr_layer_in_size(l) * net->batch_cap)))
            return vsq_error(VSQ_ENOMEM, "no memory for layer %s", l->name);
        first = 0;
    }
    vsq_status st = tr_qat_weights(net);
    if (st) tr_qat_detach(net);
    return st;
}

void tr_qat_detach(tr_net *net) {
    for (int i = 0; i < net->n; i++) {
        tr_layer *l = &net->l[i];
        free(l->wq), free(l->wg), free(l->ag);
        l->wq = l->wg = l->ag = NULL;
        l->quant_in = 0;
    }
    net->qat = NULL;
}
