/* VS-Quant post-training quantization of the BERT encoder's Linear layers
 * (Q, K, V, attention output, FFN in, FFN out) and, optionally, of the two
 * attention matmuls.
 *
 * Weights are static: each [out, in] matrix is quantized once with vectors
 * along the input (reduction) dimension, the paper's vector axis (sec. 3),
 * and one coarse channel per output row; plain rounding or GPTQ. The fake-
 * quant path keeps a dequantized float copy; the packed path keeps only
 * the packed integer codes (vsq_pack_weights of the same codes, so both
 * paths see identical weights).
 * Activations (each Linear layer's input, rows = tokens):
 *   vV  dynamic per vector, computed at run time (paper sec. 3); two-level
 *       sM formats get one coarse scale per token row, so a sentence's
 *       result never depends on the batch it is packed into;
 *   pt  static per-tensor clip value per Linear input, calibrated on train
 *       sentences with the spec's calibrator (max, pP, entropy, mse, octav);
 *   pc  refused (a per-channel activation scale is not a thing the MAC
 *       array can apply).
 */
#include "models/bert/bert.h"
#include "models/cnn/cnn.h" /* cnn_sgemm_nt: the library's blocked fp32 GEMM */

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROW_CHUNK = 64 };

struct bert_quant {
    int has_w, has_a, has_attn, a_static, packed;
    vsq_format wf, af, attn_f;
    float *alpha;        /* a_static: one clip value per Linear layer */
    vsq_packed_a pa;     /* packed path: activation scratch, reused */
};

static int is_fp32(const char *spec) {
    return !spec || !*spec || !strcmp(spec, "fp32") || !strcmp(spec, "none");
}

/* Re-raise the last error with a prefix naming the context. */
static vsq_status prefix_error(vsq_status st, const char *ctx) {
    char prev[512];
    snprintf(prev, sizeof prev, "%s", vsq_last_error());
    return vsq_error(st, "%s: %s", ctx, prev);
}

void bert_unquantize(bert_model *m) {
    for (int i = 0; m->layers && i < bert_n_lin(m); i++) {
        bert_linear *l = bert_lin(m, i);
        free(l->wq);
        l->wq = NULL;
        l->w = l->w0;
        if (l->pw) vsq_packed_w_free(l->pw);
        free(l->pw);
        l->pw = NULL;
    }
    if (m->q) {
        free(m->q->alpha);
        vsq_packed_a_free(&m->q->pa);
        free(m->q);
        m->q = NULL;
    }
}

/* ---- the forward-pass hooks ---- */

int bert_attn_quantized(const bert_model *m) { return m->q && m->q->has_attn; }

vsq_status bert_attn_fakequant(const bert_model *m, float *x, size_t rows, size_t cols) {
    vsq_status st = vsq_fakequant(&m->q->attn_f, x, rows, cols, rows, x);
    return st ? prefix_error(st, "attention operand") : VSQ_OK;
}

/* Fake-quantize rows [r0, r0+n) of x into y (activation format of m). */
static vsq_status fakequant_rows(const struct bert_quant *q, const bert_linear *l, const float *x,
                                 size_t n, float *y) {
    size_t cols = (size_t)l->cols;
    if (!q->a_static) return vsq_fakequant(&q->af, x, n, cols, n, y);
    vsq_qtensor qt;
    vsq_status st = vsq_quantize_with_alpha(&q->af, x, n, cols, 1, &q->alpha[l->id], &qt);
    if (st) return st;
    st = vsq_dequantize(&qt, y);
    vsq_qtensor_free(&qt);
    return st;
}

/* Fake-quantize the whole input matrix, chunks of rows in parallel (every
 * scale is per row or per tensor, so chunking changes nothing). */
static vsq_status fakequant_act(const struct bert_quant *q, const bert_linear *l, const float *x,
                                size_t rows, float *y) {
    size_t chunks = (rows + ROW_CHUNK - 1) / ROW_CHUNK;
    vsq_status st = VSQ_OK;
    char msg[512] = "";
#pragma omp parallel for schedule(dynamic)
    for (size_t c = 0; c < chunks; c++) {
        size_t r0 = c * ROW_CHUNK, n = rows - r0 < ROW_CHUNK ? rows - r0 : ROW_CHUNK;
        vsq_status s = fakequant_rows(q, l, x + r0 * l->cols, n, y + r0 * l->cols);
        if (s) {
#pragma omp critical
            {
                st = s;
                snprintf(msg, sizeof msg, "%s", vsq_last_error());
            }
        }
    }
    if (st) return vsq_error(st, "%s activations: %s", l->name, msg);
    return VSQ_OK;
}

vsq_status bert_linear_forward(const bert_model *m, const bert_linear *l, const float *x,
                               size_t rows, float *y, float *scratch) {
    struct bert_quant *q = m->q;
    if (q && q->packed) {
        vsq_status st = vsq_linear_q(l->pw, &q->af, x, rows, l->b, y, 0, &q->pa);
        return st ? prefix_error(st, l->name) : VSQ_OK;
    }
    if (q && q->has_a) {
        vsq_status st = fakequant_act(q, l, x, rows, scratch);
        if (st) return st;
        x = scratch;
    }
    cnn_sgemm_nt((int)rows, l->rows, l->cols, x, l->w, l->b, y);
    return VSQ_OK;
}

/* ---- quantizing the model ---- */

static vsq_status parse(const char *spec, const char *what, vsq_format *f, int *on) {
    *on = !is_fp32(spec);
    if (!*on) return VSQ_OK;
    vsq_status st = vsq_format_parse(spec, f);
    return st ? prefix_error(st, what) : VSQ_OK;
}

/* Activation formats: uint -> int (LayerNorm outputs, attention context and
 * GELU outputs all take negative values); per-channel refused. */
static vsq_status check_act(vsq_format *f, const char *what) {
    if (f->elem == VSQ_ELEM_UINT) f->elem = VSQ_ELEM_INT;
    if (f->gran == VSQ_GRAN_CHANNEL)
        return vsq_error(VSQ_EUNSUPPORTED,
                         "%s: per-channel (pc) activations are not supported; use pt (static) or vV "
                         "(dynamic)", what);
    return VSQ_OK;
}

static vsq_status quantize_weight(const bert_linear *l, const vsq_format *f, const double *h,
                                  vsq_qtensor *qt) {
    size_t r = (size_t)l->rows, c = (size_t)l->cols;
    return h ? vsq_quantize_gptq(f, l->w0, r, c, r, h, 0.01, qt) : vsq_quantize(f, l->w0, r, c, r, qt);
}

/* Fake-quant copy, or packed codes for the integer path. */
static vsq_status quantize_linear(bert_linear *l, const struct bert_quant *q, const double *h) {
    vsq_qtensor qt;
    vsq_status st = quantize_weight(l, &q->wf, h, &qt);
    if (st) return prefix_error(st, l->name);
    if (q->packed) {
        l->pw = calloc(1, sizeof *l->pw);
        st = l->pw ? vsq_pack_weights(&qt, l->pw) : vsq_error(VSQ_ENOMEM, "out of memory");
    } else {
        l->wq = malloc((size_t)l->rows * (size_t)l->cols * sizeof(float));
        st = l->wq ? vsq_dequantize(&qt, l->wq) : vsq_error(VSQ_ENOMEM, "out of memory");
        if (!st) l->w = l->wq;
    }
    vsq_qtensor_free(&qt);
    return st ? prefix_error(st, l->name) : VSQ_OK;
}

/* What the packed kernels need: both operands per-vector with one V in
 * {16, 32, 64} and both two-level or both single-level (vsq/kernels.h);
 * the activation side must be dynamic. */
static vsq_status check_packed(const struct bert_quant *q) {
    const vsq_format *w = &q->wf, *a = &q->af;
    if (!q->has_w || !q->has_a)
        return vsq_error(VSQ_EINVAL, "--kernel packed needs both --w and --a formats");
    if (w->gran != VSQ_GRAN_VECTOR || a->gran != VSQ_GRAN_VECTOR)
        return vsq_error(VSQ_EUNSUPPORTED, "--kernel packed needs per-vector (vV) weights and activations");
    if (w->vec_len != a->vec_len || (w->vec_len != 16 && w->vec_len != 32 && w->vec_len != 64))
        return vsq_error(VSQ_EUNSUPPORTED, "--kernel packed needs one V in {16, 32, 64} for weights and activations");
    if ((w->scale == VSQ_SCALE_TWO_LEVEL) != (a->scale == VSQ_SCALE_TWO_LEVEL))
        return vsq_error(VSQ_EUNSUPPORTED, "--kernel packed: two-level scales on one side only");
    return VSQ_OK;
}

static vsq_status setup(bert_model *m, const bert_quant_opts *o, struct bert_quant *q) {
    vsq_status st = parse(o->w, "weights", &q->wf, &q->has_w);
    if (!st) st = parse(o->a, "activations", &q->af, &q->has_a);
    if (!st) st = parse(o->attn_a, "attention operands", &q->attn_f, &q->has_attn);
    if (!st && q->has_a) st = check_act(&q->af, "activations");
    if (!st && q->has_attn) st = check_act(&q->attn_f, "attention operands");
    if (!st && q->has_attn && q->attn_f.gran != VSQ_GRAN_VECTOR)
        st = vsq_error(VSQ_EUNSUPPORTED, "attention operands: only dynamic per-vector (vV) formats");
    q->a_static = q->has_a && q->af.gran == VSQ_GRAN_TENSOR;
    q->packed = o->packed;
    if (!st && q->packed) st = check_packed(q);
    if (!st && q->packed && q->a_static)
        st = vsq_error(VSQ_EUNSUPPORTED, "--kernel packed needs dynamic per-vector activations");
    if (!st && ((q->a_static && !o->alpha) || o->gptq > 0) && (!o->calib || o->calib->n == 0))
        st = vsq_error(VSQ_EINVAL, "static activations and GPTQ need calibration sentences");
    return st;
}

vsq_status bert_quantize(bert_model *m, const bert_quant_opts *o) {
    bert_unquantize(m);
    struct bert_quant *q = calloc(1, sizeof *q);
    if (!q) return vsq_error(VSQ_ENOMEM, "bert: out of memory");
    vsq_status st = setup(m, o, q);
    if (!st && q->a_static && o->alpha) {
        q->alpha = malloc((size_t)bert_n_lin(m) * sizeof(float));
        if (q->alpha) memcpy(q->alpha, o->alpha, (size_t)bert_n_lin(m) * sizeof(float));
        else st = vsq_error(VSQ_ENOMEM, "bert: out of memory");
    } else if (!st && q->a_static) {
        /* calibrate on the fp32 model */
        int n = o->calib_n > 0 && o->calib_n < o->calib->n ? o->calib_n : o->calib->n;
        bert_ids sub = {n, o->calib->ids, o->calib->len};
        float *alpha[1] = {NULL};
        st = bert_calibrate_many(m, &sub, &q->af, 1, alpha);
        q->alpha = alpha[0];
    }
    double **hess = NULL;
    if (!st && q->has_w && o->gptq > 0) {
        int n = o->gptq < o->calib->n ? o->gptq : o->calib->n;
        bert_ids sub = {n, o->calib->ids, o->calib->len};
        st = bert_gptq_hessians(m, &sub, &hess);
    }
    for (int i = 0; !st && q->has_w && i < bert_n_lin(m); i++)
        st = quantize_linear(bert_lin(m, i), q, hess ? hess[i] : NULL);
    bert_gptq_free(m, hess);
    m->q = q;
    if (st) bert_unquantize(m);
    return st;
}

double bert_bpw(const bert_model *m, const char *wspec) {
    vsq_format f;
    if (is_fp32(wspec) || vsq_format_parse(wspec, &f)) return 32.0;
    double bits = 0.0, n = 0.0;
    for (int i = 0; i < bert_n_lin(m); i++) {
        const bert_linear *l = bert_lin(m, i);
        double e = (double)l->rows * l->cols;
        bits += e * vsq_format_bits_per_elem(&f, (size_t)l->rows, (size_t)l->cols, (size_t)l->rows);
        n += e;
    }
    return bits / n;
}

/* ---- static calibration ---- */

typedef struct {
    vsq_calibrator **cal; /* nf x n_lin */
    int nf, n_lin;
    vsq_status st;
    char msg[512];
} calib_ctx;

static void observe_calib(void *ctx, const bert_linear *l, const float *x, size_t rows) {
    calib_ctx *c = ctx;
    size_t n = rows * (size_t)l->cols;
#pragma omp parallel for schedule(dynamic)
    for (int f = 0; f < c->nf; f++) {
        vsq_status s = vsq_calibrator_observe(c->cal[(size_t)f * c->n_lin + l->id], x, n);
        if (s) {
#pragma omp critical
            if (!c->st) {
                c->st = s;
                snprintf(c->msg, sizeof c->msg, "%s: %s", l->name, vsq_last_error());
            }
        }
    }
}

vsq_status bert_calibrate_many(bert_model *m, const bert_ids *s, const vsq_format *fmts, int nf,
                               float **alpha) {
    int nl = bert_n_lin(m);
    calib_ctx c = {calloc((size_t)nf * nl, sizeof(vsq_calibrator *)), nf, nl, VSQ_OK, ""};
    float *emb = malloc((size_t)s->n * m->cfg.hidden * sizeof(float));
    vsq_status st = c.cal && emb ? VSQ_OK : vsq_error(VSQ_ENOMEM, "calibration: out of memory");
    for (int i = 0; !st && i < nf * nl; i++)
        if (!(c.cal[i] = vsq_calibrator_new(&fmts[i / nl])))
            st = vsq_error(VSQ_ENOMEM, "calibration: out of memory");
    struct bert_quant *saved = m->q;
    if (!st) {
        m->q = NULL; /* calibrate on the fp32 model */
        m->observe = observe_calib;
        m->observe_ctx = &c;
        st = bert_embed(m, s, 2048, emb, NULL);
        m->observe = NULL;
        m->q = saved;
        if (!st && c.st) st = vsq_error(c.st, "calibration: %s", c.msg);
    }
    for (int f = 0; f < nf; f++) alpha[f] = NULL;
    for (int f = 0; !st && f < nf; f++) {
        alpha[f] = malloc((size_t)nl * sizeof(float));
        if (!alpha[f]) st = vsq_error(VSQ_ENOMEM, "calibration: out of memory");
        for (int i = 0; !st && i < nl; i++) st = vsq_calibrator_alpha(c.cal[(size_t)f * nl + i], &alpha[f][i]);
    }
    for (int f = 0; st && f < nf; f++) {
        free(alpha[f]);
        alpha[f] = NULL;
    }
    for (int i = 0; c.cal && i < nf * nl; i++) vsq_calibrator_free(c.cal[i]);
    free(c.cal);
    free(emb);
    return st;
}
