/* Pointwise convolutions and the classifier on the packed integer kernels
 * (vsq/kernels.h): the bulk of MobileNet's MACs. Weights are packed once
 * (cnn_quantize_weights); each image's activation matrix (pixels x cin,
 * vectors along cin) is quantized into the work area's packed buffer with
 * the fake-quant path's semantics (one coarse scale per tensor, act_fast.c)
 * and multiplied by vsq_gemm_packed, whose int64 accumulators equal
 * vsq_gemm_ref's. Other layers (3x3 convs, depthwise) keep their path. */
#include "models/cnn/act_fast.h"
#include "models/cnn/cnn.h"

#include <math.h>

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

/* y[r][o] = clip(y[r][o] + b[o]) as cnn_clip: x < lo ? lo : x > hi ? hi : x
 * (max(lo, x) then min(hi, .) in that operand order keeps -0 and NaN). */
static void bias_clip(float *y, const float *b, size_t rows, int n, float lo, float hi, int o) {
    for (size_t r = 0; r < rows; r++)
        for (int j = o; j < n; j++) {
            float v = y[r * n + j] + b[j];
            y[r * n + j] = v < lo ? lo : (v > hi ? hi : v);
        }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
__attribute__((target("avx2"))) static int bias_clip_avx2(float *y, const float *b, size_t rows, int n, float lo,
                                                          float hi) {
    const __m256 vl = _mm256_set1_ps(lo), vh = _mm256_set1_ps(hi);
    int o = n / 8 * 8;
    for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < o; j += 8) {
            __m256 v = _mm256_add_ps(_mm256_loadu_ps(y + r * n + j), _mm256_loadu_ps(b + j));
            _mm256_storeu_ps(y + r * n + j, _mm256_min_ps(vh, _mm256_max_ps(vl, v)));
        }
    return o;
}
#endif

vsq_status cnn_gemm_packed(const cnn_model *m, const cnn_qcfg *q, int i, cnn_work *w,
                           const float *a, size_t rows, float *y, const float *clip) {
    const cnn_layer *l = &m->l[i];
    vsq_format f = cnn_act_format(q, l);
    vsq_status st = cnn_pack_act_two_level(&f, a, rows, (size_t)l->k, &w->pa, l->name);
    if (st) return st;
    /* one thread: images already run in parallel (eval.c) */
    if ((st = vsq_gemm_packed(&w->pa, l->wpk, y, NULL, 1)))
        return vsq_error(st, "layer %s packed GEMM: %s", l->name, vsq_last_error());
    /* bias, then a fused ReLU / Clip */
    float lo = clip ? clip[0] : -INFINITY, hi = clip ? clip[1] : INFINITY;
    int o = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    if (cnn_simd_level() >= 1) o = bias_clip_avx2(y, l->b, rows, l->cout, lo, hi);
#endif
    bias_clip(y, l->b, rows, l->cout, lo, hi, o);
    return VSQ_OK;
}
