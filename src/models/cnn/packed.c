/* Pointwise convolutions and the classifier on the packed integer kernels
 * (vsq/kernels.h): the bulk of MobileNet's MACs. Weights are packed once
 * (cnn_quantize_weights); each image's activation matrix (pixels x cin,
 * vectors along cin) is quantized into the work area's packed buffer with
 * the fake-quant path's semantics (one coarse scale per tensor, act_fast.c)
 * and multiplied by vsq_gemm_packed, whose int64 accumulators equal
 * vsq_gemm_ref's. Other layers (3x3 convs, depthwise) keep their path. */
#include "models/cnn/act_fast.h"
#include "models/cnn/cnn.h"

static int two_level_v(const vsq_format *f) {
    if (f->gran != VSQ_GRAN_VECTOR || f->scale != VSQ_SCALE_TWO_LEVEL) return 0;
    if (f->variant != VSQ_TWOLEVEL_PAPER || f->calib != VSQ_CALIB_MAX) return 0;
    return f->vec_len == 16 || f->vec_len == 32 || f->vec_len == 64 ? f->vec_len : 0;
}

int cnn_packable(const cnn_qcfg *q, const cnn_model *m, int i) {
    const cnn_layer *l = &m->l[i];
    int pointwise = l->op == CNN_CONV && l->groups == 1 && l->kh == 1 && l->kw == 1 && l->sh == 1 && l->sw == 1 &&
                    !l->pt && !l->pl && !l->pb && !l->pr;
    if (!cnn_layer_quantized(q, m, i) || !(pointwise || l->op == CNN_DENSE)) return 0;
    if (!q->quant_w || !q->quant_a || q->a_static || q->layer_w) return 0;
    if (q->hessian && q->hessian[i]) return 0; /* GPTQ weights (wq): the packed ones would be plain rounding */
    vsq_format a = cnn_act_format(q, l);
    int vw = two_level_v(&q->w);
    return vw && vw == two_level_v(&a) && !q->w.coarse_per_tensor;
}

vsq_status cnn_gemm_packed(const cnn_model *m, const cnn_qcfg *q, int i, cnn_work *w,
                           const float *a, size_t rows, float *y) {
    const cnn_layer *l = &m->l[i];
    vsq_format f = cnn_act_format(q, l);
    vsq_status st = cnn_pack_act_two_level(&f, a, rows, (size_t)l->k, &w->pa, l->name);
    if (st) return st;
    /* one thread: images already run in parallel (eval.c) */
    if ((st = vsq_gemm_packed(&w->pa, l->wpk, y, NULL, 1)))
        return vsq_error(st, "layer %s packed GEMM: %s", l->name, vsq_last_error());
    for (size_t r = 0; r < rows; r++)
        for (int o = 0; o < l->cout; o++) y[r * l->cout + o] += l->b[o];
    return VSQ_OK;
}
