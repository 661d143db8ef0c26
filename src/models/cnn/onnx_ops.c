/* ONNX operators -> graph nodes, one translator per operator, each
 * checking its attributes (an unknown attribute or value is an error that
 * names the node and op, never a silent approximation) and inferring its
 * output shape. Weights are permuted from ONNX's OIHW to the runtime's
 * GEMM form W[cout][(ky, kx, ci)] (cnn.h); NCHW tensors are held HWC. */
#include "models/cnn/onnx_int.h"

#include <float.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    onnx_ctx *c;
    const Onnx__NodeProto *n;
    char lab[160];
} node;

#define FAIL(nd, st, ...) node_fail(nd, st, __VA_ARGS__)

__attribute__((format(printf, 3, 4))) static vsq_status node_fail(const node *nd, vsq_status st, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vsq_error(st, "%s: %s: %s", nd->c->what, nd->lab, msg);
}

/* ---- attributes ---- */
static const Onnx__AttributeProto *attr(const node *nd, const char *name) {
    for (size_t i = 0; i < nd->n->n_attribute; i++)
        if (nd->n->attribute[i]->name && !strcmp(nd->n->attribute[i]->name, name)) return nd->n->attribute[i];
    return NULL;
}

/* Every attribute must be one the translator understands. */
static vsq_status check_attrs(const node *nd, const char *const *known) {
    for (size_t i = 0; i < nd->n->n_attribute; i++) {
        const char *a = nd->n->attribute[i]->name ? nd->n->attribute[i]->name : "";
        int ok = 0;
        for (int k = 0; known[k] && !ok; k++) ok = !strcmp(a, known[k]);
        if (!ok) return FAIL(nd, VSQ_EUNSUPPORTED, "unsupported attribute '%.40s'", a);
    }
    return VSQ_OK;
}

static int64_t attr_int(const node *nd, const char *name, int64_t dflt) {
    const Onnx__AttributeProto *a = attr(nd, name);
    return a && a->has_i ? a->i : dflt;
}

static float attr_float(const node *nd, const char *name, float dflt) {
    const Onnx__AttributeProto *a = attr(nd, name);
    return a && a->has_f ? a->f : dflt;
}

/* ints attribute into out[max]; returns its length, or -1 if absent. */
static int attr_ints(const node *nd, const char *name, int64_t *out, int max) {
    const Onnx__AttributeProto *a = attr(nd, name);
    if (!a) return -1;
    if (a->n_ints > (size_t)max) return max + 1;
    for (size_t i = 0; i < a->n_ints; i++) out[i] = a->ints[i];
    return (int)a->n_ints;
}

static int attr_str_is(const node *nd, const char *name, const char *dflt, const char *want) {
    const Onnx__AttributeProto *a = attr(nd, name);
    if (!a || !a->has_s) return !strcmp(dflt, want);
    return a->s.len == strlen(want) && !memcmp(a->s.data, want, a->s.len);
}

/* ---- inputs and outputs ---- */
static const char *in_name(const node *nd, size_t j) { return j < nd->n->n_input ? nd->n->input[j] : ""; }

static vsq_status in_tensor(const node *nd, size_t j, onnx_value **out) {
    onnx_value *v = in_name(nd, j)[0] ? onnx_find(nd->c, in_name(nd, j)) : NULL;
    if (!v) return FAIL(nd, VSQ_EFORMAT, "input %zu is missing", j);
    if (v->tensor < 0) return FAIL(nd, VSQ_EUNSUPPORTED, "input '%.80s' is a constant (expected a computed tensor)", v->name);
    *out = v;
    return VSQ_OK;
}

/* Constant input j, or *out = NULL when it is optional and absent. */
static vsq_status in_const(const node *nd, size_t j, int optional, onnx_value **out) {
    *out = NULL;
    if (!in_name(nd, j)[0]) return optional ? VSQ_OK : FAIL(nd, VSQ_EFORMAT, "input %zu is missing", j);
    onnx_value *v = onnx_find(nd->c, in_name(nd, j));
    if (!v || v->tensor >= 0 || v->tensor == -2)
        return FAIL(nd, VSQ_EUNSUPPORTED, "input '%.80s' must be an initializer (a constant)", in_name(nd, j));
    *out = v;
    return VSQ_OK;
}

static vsq_status want_float(const node *nd, const onnx_value *v) {
    return v->f ? VSQ_OK : FAIL(nd, VSQ_EUNSUPPORTED, "input '%.80s' must be float32", v->name);
}

static vsq_status set_output(const node *nd, size_t j, int tensor, int rank, int producer) {
    if (j >= nd->n->n_output || !nd->n->output[j][0]) return FAIL(nd, VSQ_EFORMAT, "output %zu is missing", j);
    onnx_value *v = onnx_find(nd->c, nd->n->output[j]);
    v->tensor = tensor, v->rank = rank, v->producer = producer;
    return tensor < 0 ? vsq_error(VSQ_ENOMEM, "%s: no memory", nd->c->what) : VSQ_OK;
}

/* Only the first output may be used (Dropout's mask, ...). */
static vsq_status single_output(const node *nd) {
    for (size_t j = 1; j < nd->n->n_output; j++)
        if (nd->n->output[j][0]) {
            const onnx_value *v = onnx_find(nd->c, nd->n->output[j]);
            if (v && (v->readers || v->is_output)) return FAIL(nd, VSQ_EUNSUPPORTED, "output %zu is used", j);
        }
    return VSQ_OK;
}

static cnn_layer *new_layer(const node *nd, cnn_op op, const onnx_value *x) {
    const char *nm = nd->n->name && nd->n->name[0] ? nd->n->name : nd->n->output[0];
    cnn_layer *l = cnn_model_add_layer(nd->c->m, op, nm);
    if (!l) return NULL;
    const cnn_tensor *t = &nd->c->m->t[x->tensor];
    l->ih = l->oh = t->h, l->iw = l->ow = t->w, l->cin = l->cout = t->c;
    l->in[0] = x->tensor, l->n_in = 1;
    l->in_nonneg = t->nonneg;
    return l;
}

/* Output tensor of l (shape oh x ow x cout) as the node's output 0. */
static vsq_status finish(const node *nd, cnn_layer *l, int rank, int nonneg) {
    cnn_model *m = nd->c->m;
    if (l->oh < 1 || l->ow < 1 || l->cout < 1 || (size_t)l->oh * l->ow * l->cout > ((size_t)1 << 28))
        return FAIL(nd, VSQ_EFORMAT, "output shape %dx%dx%d is empty or too large", l->cout, l->oh, l->ow);
    int idx = (int)(l - m->l);
    l->out = cnn_model_add_tensor(m, l->oh, l->ow, l->cout, nonneg);
    return set_output(nd, 0, l->out, rank, idx);
}

/* ---- convolution geometry (Conv, MaxPool, AveragePool) ---- */
typedef struct {
    int64_t k[2], s[2], d[2], p[4];
} geom;

static vsq_status read_geom(const node *nd, const cnn_tensor *x, int64_t kh, int64_t kw, geom *g, int *oh, int *ow,
                            int ceil_mode) {
    int64_t ks[2] = {0, 0};
    int nk = attr_ints(nd, "kernel_shape", ks, 2);
    if (nk >= 0 && (nk != 2 || (kh > 0 && (ks[0] != kh || ks[1] != kw))))
        return FAIL(nd, VSQ_EFORMAT, "kernel_shape disagrees with the weights or is not 2-D");
    g->k[0] = kh > 0 ? kh : ks[0], g->k[1] = kw > 0 ? kw : ks[1];
    if (nk < 0 && kh <= 0) return FAIL(nd, VSQ_EFORMAT, "kernel_shape is missing");
    g->s[0] = g->s[1] = g->d[0] = g->d[1] = 1;
    g->p[0] = g->p[1] = g->p[2] = g->p[3] = 0;
    int ns = attr_ints(nd, "strides", g->s, 2), nd_ = attr_ints(nd, "dilations", g->d, 2), np = attr_ints(nd, "pads", g->p, 4);
    if ((ns >= 0 && ns != 2) || (nd_ >= 0 && nd_ != 2) || (np >= 0 && np != 4))
        return FAIL(nd, VSQ_EUNSUPPORTED, "strides/dilations/pads must be 2-D");
    for (int i = 0; i < 2; i++)
        if (g->k[i] < 1 || g->k[i] > 64 || g->s[i] < 1 || g->s[i] > 64 || g->d[i] < 1 || g->d[i] > 64)
            return FAIL(nd, VSQ_EUNSUPPORTED, "kernel, stride or dilation out of range 1..64");
    for (int i = 0; i < 4; i++)
        if (g->p[i] < 0 || g->p[i] > 64) return FAIL(nd, VSQ_EUNSUPPORTED, "pads out of range 0..64");
    int64_t in[2] = {x->h, x->w}, out[2];
    int valid = attr_str_is(nd, "auto_pad", "NOTSET", "VALID"), notset = attr_str_is(nd, "auto_pad", "NOTSET", "NOTSET");
    int upper = attr_str_is(nd, "auto_pad", "NOTSET", "SAME_UPPER"), lower = attr_str_is(nd, "auto_pad", "NOTSET", "SAME_LOWER");
    if (!valid && !notset && !upper && !lower) return FAIL(nd, VSQ_EUNSUPPORTED, "unknown auto_pad");
    if (!notset && np >= 0) return FAIL(nd, VSQ_EFORMAT, "both auto_pad and pads are set");
    for (int i = 0; i < 2; i++) {
        int64_t span = g->d[i] * (g->k[i] - 1) + 1;
        if (upper || lower) { /* out = ceil(in / s), the odd pixel at the end (UPPER) or start */
            out[i] = (in[i] + g->s[i] - 1) / g->s[i];
            int64_t tot = (out[i] - 1) * g->s[i] + span - in[i];
            tot = tot < 0 ? 0 : tot;
            g->p[i] = upper ? tot / 2 : tot - tot / 2, g->p[i + 2] = tot - g->p[i];
            continue;
        }
        int64_t room = in[i] + g->p[i] + g->p[i + 2] - span;
        if (room < 0) return FAIL(nd, VSQ_EFORMAT, "the window (%lld) is larger than the padded input", (long long)span);
        out[i] = (ceil_mode ? (room + g->s[i] - 1) / g->s[i] : room / g->s[i]) + 1;
        if (ceil_mode && (out[i] - 1) * g->s[i] >= in[i] + g->p[i]) out[i]--; /* last window must start inside */
    }
    *oh = (int)out[0], *ow = (int)out[1];
    return VSQ_OK;
}

static void apply_geom(cnn_layer *l, const geom *g, int oh, int ow) {
    l->kh = (int)g->k[0], l->kw = (int)g->k[1], l->sh = (int)g->s[0], l->sw = (int)g->s[1];
    l->dh = (int)g->d[0], l->dw = (int)g->d[1];
    l->pt = (int)g->p[0], l->pl = (int)g->p[1], l->pb = (int)g->p[2], l->pr = (int)g->p[3];
    l->oh = oh, l->ow = ow;
}

/* ---- operators ---- */
static vsq_status op_conv(const node *nd) {
    static const char *const known[] = {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides", NULL};
    onnx_value *x = NULL, *w = NULL, *b = NULL;
    vsq_status st = check_attrs(nd, known);
    if (!st) st = in_tensor(nd, 0, &x);
    if (!st) st = in_const(nd, 1, 0, &w);
    if (!st) st = in_const(nd, 2, 1, &b);
    if (!st) st = want_float(nd, w);
    if (!st && b) st = want_float(nd, b);
    if (st) return st;
    const cnn_tensor *t = &nd->c->m->t[x->tensor];
    int64_t grp = attr_int(nd, "group", 1);
    if (x->rank != 4 || w->ndim != 4) return FAIL(nd, VSQ_EUNSUPPORTED, "only 2-D convolutions (NCHW input, OIHW weights)");
    int64_t co = w->dims[0], ci = w->dims[1], kh = w->dims[2], kw = w->dims[3];
    if (grp < 1 || t->c % grp || co % grp || ci * grp != t->c || co < 1 || co > 65536)
        return FAIL(nd, VSQ_EFORMAT, "weights [%lld,%lld,%lld,%lld] and group %lld do not fit %d input channels",
                    (long long)co, (long long)ci, (long long)kh, (long long)kw, (long long)grp, t->c);
    if (b && (b->numel != (size_t)co)) return FAIL(nd, VSQ_EFORMAT, "bias has %zu values for %lld outputs", b->numel, (long long)co);
    geom g;
    int oh, ow;
    if ((st = read_geom(nd, t, kh, kw, &g, &oh, &ow, 0))) return st;
    int dw = grp == t->c && co == t->c && ci == 1;
    cnn_layer *l = new_layer(nd, dw ? CNN_DWCONV : CNN_CONV, x);
    if (!l) return vsq_error(VSQ_ENOMEM, "%s: no memory", nd->c->what);
    apply_geom(l, &g, oh, ow);
    l->cout = (int)co;
    l->groups = dw ? 1 : (int)grp;
    l->k = (int)(kh * kw * ci);
    l->w = malloc((size_t)co * l->k * sizeof(float));
    l->b = calloc((size_t)co, sizeof(float));
    if (!l->w || !l->b) return vsq_error(VSQ_ENOMEM, "%s: no memory for %s", nd->c->what, nd->lab);
    for (int64_t o = 0; o < co; o++) /* OIHW -> [o][(ky, kx, ci)] (depthwise: ci = 0) */
        for (int64_t c = 0; c < ci; c++)
            for (int64_t y = 0; y < kh; y++)
                for (int64_t xx = 0; xx < kw; xx++)
                    l->w[(size_t)o * l->k + (size_t)(y * kw + xx) * ci + c] = w->f[((o * ci + c) * kh + y) * kw + xx];
    if (b) memcpy(l->b, b->f, (size_t)co * sizeof(float));
    return finish(nd, l, 4, 0);
}

/* Per-channel constant c (scalar, [C,1,1], [1,C,1,1], or [C] on a rank-2
 * tensor) expanded to C values; NULL when it does not broadcast so. */
static float *channel_const(const onnx_value *k, const onnx_value *x, int C) {
    if (!k->f) return NULL;
    int ok = k->numel == 1;
    if (!ok && k->numel == (size_t)C) { /* numpy broadcasting aligns from the right */
        if (x->rank == 2) ok = k->ndim <= 2;
        else ok = k->ndim >= 3 && k->dims[k->ndim - 3] == C;
    }
    if (!ok) return NULL;
    float *v = malloc((size_t)C * sizeof(float));
    for (int i = 0; v && i < C; i++) v[i] = k->f[k->numel == 1 ? 0 : i];
    return v;
}

/* BatchNormalization: folded into the convolution / dense layer that made
 * its input when nothing else reads that output, else a per-channel affine. */
static vsq_status op_batchnorm(const node *nd) {
    static const char *const known[] = {"epsilon", "momentum", "training_mode", "spatial", NULL};
    onnx_value *x = NULL, *p[4] = {0};
    vsq_status st = check_attrs(nd, known);
    if (!st) st = in_tensor(nd, 0, &x);
    for (int i = 0; i < 4 && !st; i++) st = in_const(nd, (size_t)i + 1, 0, &p[i]);
    for (int i = 0; i < 4 && !st; i++) st = want_float(nd, p[i]);
    if (st) return st;
    if (attr_int(nd, "training_mode", 0)) return FAIL(nd, VSQ_EUNSUPPORTED, "training_mode=1");
    if ((st = single_output(nd))) return st;
    cnn_model *m = nd->c->m;
    int C = m->t[x->tensor].c;
    for (int i = 0; i < 4; i++)
        if (p[i]->numel != (size_t)C) return FAIL(nd, VSQ_EFORMAT, "parameter %d has %zu values for %d channels", i + 1, p[i]->numel, C);
    double eps = attr_float(nd, "epsilon", 1e-5f);
    cnn_layer *prev = x->producer >= 0 ? &m->l[x->producer] : NULL;
    int fold = prev && cnn_is_mac(prev) && prev->out == x->tensor && x->readers == 1 && !x->is_output;
    cnn_layer *l = fold ? prev : new_layer(nd, CNN_AFFINE, x);
    if (!l) return vsq_error(VSQ_ENOMEM, "%s: no memory", nd->c->what);
    if (!fold) {
        l->w = malloc((size_t)C * sizeof(float)), l->b = malloc((size_t)C * sizeof(float)), l->k = 1;
        if (!l->w || !l->b) return vsq_error(VSQ_ENOMEM, "%s: no memory", nd->c->what);
    }
    for (int o = 0; o < C; o++) {
        double var = p[3]->f[o];
        if (var + eps <= 0) return FAIL(nd, VSQ_EFORMAT, "variance + epsilon <= 0 in channel %d", o);
        double s = p[0]->f[o] / sqrt(var + eps), sh = p[1]->f[o] - p[2]->f[o] * s;
        if (!fold) { l->w[o] = (float)s, l->b[o] = (float)sh; continue; }
        for (int k = 0; k < l->k; k++) l->w[(size_t)o * l->k + k] = (float)(l->w[(size_t)o * l->k + k] * s);
        l->b[o] = (float)(l->b[o] * s + sh);
    }
    if (fold) return set_output(nd, 0, x->tensor, x->rank, x->producer);
    return finish(nd, l, x->rank, 0);
}

/* Relu, Clip, Sigmoid, Softmax: elementwise, shape-preserving. */
static vsq_status op_unary(const node *nd, cnn_op op) {
    static const char *const none[] = {NULL}, *const clip[] = {"min", "max", NULL}, *const sm[] = {"axis", NULL};
    onnx_value *x = NULL, *lo = NULL, *hi = NULL;
    vsq_status st = check_attrs(nd, op == CNN_CLIP ? clip : op == CNN_SOFTMAX ? sm : none);
    if (!st) st = in_tensor(nd, 0, &x);
    if (!st && op == CNN_CLIP) st = in_const(nd, 1, 1, &lo);
    if (!st && op == CNN_CLIP) st = in_const(nd, 2, 1, &hi);
    if (st) return st;
    if ((lo && (!lo->f || lo->numel != 1)) || (hi && (!hi->f || hi->numel != 1)))
        return FAIL(nd, VSQ_EUNSUPPORTED, "min/max must be float scalars");
    if (op == CNN_SOFTMAX) {
        int64_t ax = attr_int(nd, "axis", -1);
        if (x->rank != 2 || (ax != -1 && ax != 1)) return FAIL(nd, VSQ_EUNSUPPORTED, "Softmax only over the classes of a [1, N] tensor");
    }
    cnn_layer *l = new_layer(nd, op, x);
    if (!l) return vsq_error(VSQ_ENOMEM, "%s: no memory", nd->c->what);
    l->lo = lo ? lo->f[0] : attr_float(nd, "min", -FLT_MAX);
    l->hi = hi ? hi->f[0] : attr_float(nd, "max", FLT_MAX);
    if (op == CNN_CLIP && !(l->lo <= l->hi)) return FAIL(nd, VSQ_EFORMAT, "min > max");
    int nonneg = op == CNN_RELU || op == CNN_SIGMOID || op == CNN_SOFTMAX || (op == CNN_CLIP && l->lo >= 0) ||
                 (op == CNN_CLIP && l->in_nonneg && l->hi >= 0);
    return finish(nd, l, x->rank, nonneg);
}

/* Add / Mul of two tensors (the second may broadcast from 1x1xC or 1x1x1)
 * or of a tensor and a per-channel constant (an affine node). */
static vsq_status op_binary(const node *nd, cnn_op op) {
    static const char *const none[] = {NULL};
    vsq_status st = check_attrs(nd, none);
    if (st) return st;
    onnx_value *a = onnx_find(nd->c, in_name(nd, 0)), *b = onnx_find(nd->c, in_name(nd, 1));
    if (!a || !b || nd->n->n_input != 2) return FAIL(nd, VSQ_EFORMAT, "needs two inputs");
    if (a->tensor < 0 && b->tensor < 0) return FAIL(nd, VSQ_EUNSUPPORTED, "both inputs are constants (fold them first)");
    cnn_model *m = nd->c->m;
    if (a->tensor < 0 || b->tensor < 0) { /* tensor (op) constant */
        onnx_value *x = a->tensor >= 0 ? a : b, *k = a->tensor >= 0 ? b : a;
        int C = m->t[x->tensor].c;
        float *v = channel_const(k, x, C);
        if (!v) return FAIL(nd, VSQ_EUNSUPPORTED, "constant '%.80s' does not broadcast per channel", k->name);
        cnn_layer *l = new_layer(nd, CNN_AFFINE, x);
        float *fill = malloc((size_t)C * sizeof(float)); /* the neutral half: b = 0 for Mul, w = 1 for Add */
        if (!l || !fill) { free(v), free(fill); return vsq_error(VSQ_ENOMEM, "%s: no memory", nd->c->what); }
        int kpos = 1;
        for (int i = 0; i < C; i++) fill[i] = op == CNN_ADD ? 1.0f : 0.0f, kpos &= v[i] >= 0;
        l->w = op == CNN_MUL ? v : fill, l->b = op == CNN_MUL ? fill : v, l->k = 1;
        return finish(nd, l, x->rank, l->in_nonneg && kpos);
    }
    const cnn_tensor *ta = &m->t[a->tensor], *tb = &m->t[b->tensor];
    if ((size_t)tb->h * tb->w * tb->c > (size_t)ta->h * ta->w * ta->c) { /* the full-size operand first */
        onnx_value *s = a; a = b, b = s;
        ta = &m->t[a->tensor], tb = &m->t[b->tensor];
    }
    int same = ta->h == tb->h && ta->w == tb->w && ta->c == tb->c;
    int bcast = tb->h == 1 && tb->w == 1 && (tb->c == ta->c || tb->c == 1) && (b->rank == 4 || ta->h * ta->w == 1);
    if (!same && !bcast)
        return FAIL(nd, VSQ_EFORMAT, "shapes %dx%dx%d and %dx%dx%d do not broadcast", ta->c, ta->h, ta->w, tb->c, tb->h, tb->w);
    int nonneg = ta->nonneg && tb->nonneg;
    cnn_layer *l = new_layer(nd, op, a);
    if (!l) return vsq_error(VSQ_ENOMEM, "%s: no memory", nd->c->what);
    l->in[1] = b->tensor, l->n_in = 2;
    return finish(nd, l, a->rank, nonneg);
}

static vsq_status op_pool(const node *nd, cnn_op op) {
    static const char *const known[] = {"auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape",
                                        "pads", "storage_order", "strides", NULL};
    onnx_value *x = NULL;
    vsq_status st = check_attrs(nd, known);
    if (!st) st = in_tensor(nd, 0, &x);
    if (!st) st = single_output(nd);
    if (st) return st;
    if (x->rank != 4) return FAIL(nd, VSQ_EUNSUPPORTED, "only 2-D pooling of NCHW tensors");
    if (attr_int(nd, "storage_order", 0) != 0) return FAIL(nd, VSQ_EUNSUPPORTED, "storage_order=1");
    geom g;
    int oh, ow;
    if ((st = read_geom(nd, &nd->c->m->t[x->tensor], 0, 0, &g, &oh, &ow, (int)attr_int(nd, "ceil_mode", 0)))) return st;
    if (g.d[0] != 1 || g.d[1] != 1) return FAIL(nd, VSQ_EUNSUPPORTED, "dilated pooling");
    cnn_layer *l = new_layer(nd, op, x);
    if (!l) return vsq_error(VSQ_ENOMEM, "%s: no memory", nd->c->what);
    apply_geom(l, &g, oh, ow);
    l->count_pad = op == CNN_AVGPOOL && attr_int(nd, "count_include_pad", 0);
    return finish(nd, l, 4, l->in_nonneg);
}

static vsq_status op_gap(const node *nd) {
    static const char *const none[] = {NULL};
    onnx_value *x = NULL;
    vsq_status st = check_attrs(nd, none);
    if (!st) st = in_tensor(nd, 0, &x);
    if (st) return st;
    if (x->rank != 4) return FAIL(nd, VSQ_EUNSUPPORTED, "input is not NCHW");
    cnn_layer *l = new_layer(nd, CNN_GAP, x);
    if (!l) return vsq_error(VSQ_ENOMEM, "%s: no memory", nd->c->what);
    l->oh = l->ow = 1;
    return finish(nd, l, 4, l->in_nonneg);
}

/* Output = input under another name (Identity, Dropout, reshapes that
 * keep the HWC memory order). */
static vsq_status alias(const node *nd, const onnx_value *x, int rank) {
    return set_output(nd, 0, x->tensor, rank, -1); /* -1: no BN folding through an alias */
}

/* [1, C, H, W] -> [1, C*H*W]: free when H = W = 1, else a CHW-order copy. */
static vsq_status flatten_to_2d(const node *nd, onnx_value *x) {
    const cnn_tensor *t = &nd->c->m->t[x->tensor];
    if (t->h * t->w == 1) return alias(nd, x, 2);
    cnn_layer *l = new_layer(nd, CNN_FLATTEN, x);
    if (!l) return vsq_error(VSQ_ENOMEM, "%s: no memory", nd->c->what);
    l->oh = l->ow = 1, l->cout = t->h * t->w * t->c;
    return finish(nd, l, 2, l->in_nonneg);
}

static vsq_status op_flatten(const node *nd) {
    static const char *const known[] = {"axis", NULL};
    onnx_value *x = NULL;
    vsq_status st = check_attrs(nd, known);
    if (!st) st = in_tensor(nd, 0, &x);
    if (st) return st;
    int64_t ax = attr_int(nd, "axis", 1);
    if (ax != 1 && ax != 0 && !(ax == -1 && x->rank == 2) && !(ax == -3 && x->rank == 4))
        return FAIL(nd, VSQ_EUNSUPPORTED, "axis %lld (only flattening to [1, N])", (long long)ax);
    return flatten_to_2d(nd, x);
}

static vsq_status op_reshape(const node *nd) {
    static const char *const known[] = {"allowzero", NULL};
    onnx_value *x = NULL, *s = NULL;
    vsq_status st = check_attrs(nd, known);
    if (!st) st = in_tensor(nd, 0, &x);
    if (!st) st = in_const(nd, 1, 0, &s);
    if (st) return st;
    if (!s->i64 || s->ndim != 1 || s->numel < 1 || s->numel > 4) return FAIL(nd, VSQ_EUNSUPPORTED, "shape must be an int64 vector of 1..4 values");
    const cnn_tensor *t = &nd->c->m->t[x->tensor];
    int64_t have[4] = {1, t->c, t->h, t->w}, want[4];
    int64_t total = (int64_t)t->c * t->h * t->w, known_prod = 1;
    int infer = -1, n = (int)s->numel;
    for (int i = 0; i < n; i++) {
        want[i] = s->i64[i];
        if (want[i] == 0 && !attr_int(nd, "allowzero", 0)) { /* 0: copy the input's dimension */
            if (i >= x->rank) return FAIL(nd, VSQ_EFORMAT, "0 in the shape past the input's rank");
            want[i] = x->rank == 4 ? have[i] : (i ? total : 1);
        }
        if (want[i] == -1) {
            if (infer >= 0) return FAIL(nd, VSQ_EFORMAT, "more than one -1 in the shape");
            infer = i;
        } else if (want[i] < 1 || want[i] > ((int64_t)1 << 31)) {
            return FAIL(nd, VSQ_EFORMAT, "bad target dimension %lld", (long long)want[i]);
        } else {
            known_prod *= want[i];
            if (known_prod > total) return FAIL(nd, VSQ_EFORMAT, "target shape has more elements than the input (%lld)", (long long)total);
        }
    }
    if (infer >= 0) want[infer] = total / known_prod;
    int64_t prod = known_prod * (infer >= 0 ? want[infer] : 1);
    if (prod != total) return FAIL(nd, VSQ_EFORMAT, "target shape holds %lld elements, the input %lld", (long long)prod, (long long)total);
    if (n == 2 && want[0] == 1) return flatten_to_2d(nd, x);
    if (n == 4 && want[0] == 1 && want[2] == 1 && want[3] == 1 && t->h * t->w == 1) return alias(nd, x, 4);
    if (n == 4 && want[0] == 1 && want[1] == t->c && want[2] == t->h && want[3] == t->w) return alias(nd, x, x->rank);
    return FAIL(nd, VSQ_EUNSUPPORTED, "only reshapes to [1, N] or to the same NCHW shape");
}

/* Gemm (Y = alpha A B' + beta C) and MatMul with a constant B: a dense layer. */
static vsq_status op_dense(const node *nd, int gemm) {
    static const char *const g_known[] = {"alpha", "beta", "transA", "transB", NULL}, *const none[] = {NULL};
    onnx_value *x = NULL, *w = NULL, *c = NULL;
    vsq_status st = check_attrs(nd, gemm ? g_known : none);
    if (!st) st = in_tensor(nd, 0, &x);
    if (!st) st = in_const(nd, 1, 0, &w);
    if (!st && gemm) st = in_const(nd, 2, 1, &c);
    if (!st) st = want_float(nd, w);
    if (!st && c) st = want_float(nd, c);
    if (st) return st;
    const cnn_tensor *t = &nd->c->m->t[x->tensor];
    if (x->rank != 2) return FAIL(nd, VSQ_EUNSUPPORTED, "input must be [1, K] (Flatten it first)");
    if (gemm && attr_int(nd, "transA", 0)) return FAIL(nd, VSQ_EUNSUPPORTED, "transA=1");
    int tb = gemm && attr_int(nd, "transB", 0);
    float alpha = gemm ? attr_float(nd, "alpha", 1.0f) : 1.0f, beta = gemm ? attr_float(nd, "beta", 1.0f) : 1.0f;
    if (w->ndim != 2) return FAIL(nd, VSQ_EUNSUPPORTED, "B must be a 2-D constant");
    int64_t K = tb ? w->dims[1] : w->dims[0], N = tb ? w->dims[0] : w->dims[1];
    if (K != t->c || N < 1 || N > (1 << 24)) return FAIL(nd, VSQ_EFORMAT, "B is [%lld, %lld], the input has %d features",
                                                        (long long)w->dims[0], (long long)w->dims[1], t->c);
    if (c && c->numel != 1 && c->numel != (size_t)N) return FAIL(nd, VSQ_EUNSUPPORTED, "C must be a scalar or [N]");
    cnn_layer *l = new_layer(nd, CNN_DENSE, x);
    if (!l) return vsq_error(VSQ_ENOMEM, "%s: no memory", nd->c->what);
    l->cout = (int)N, l->k = (int)K;
    l->w = malloc((size_t)N * K * sizeof(float));
    l->b = calloc((size_t)N, sizeof(float));
    if (!l->w || !l->b) return vsq_error(VSQ_ENOMEM, "%s: no memory for %s", nd->c->what, nd->lab);
    for (int64_t o = 0; o < N; o++)
        for (int64_t k = 0; k < K; k++) l->w[o * K + k] = alpha * w->f[tb ? o * K + k : k * N + o];
    for (int64_t o = 0; c && o < N; o++) l->b[o] = beta * c->f[c->numel == 1 ? 0 : o];
    return finish(nd, l, 2, 0);
}

static vsq_status op_concat(const node *nd) {
    static const char *const known[] = {"axis", NULL};
    vsq_status st = check_attrs(nd, known);
    if (st) return st;
    if (nd->n->n_input < 1 || nd->n->n_input > CNN_MAX_IN) return FAIL(nd, VSQ_EUNSUPPORTED, "1..%d inputs", CNN_MAX_IN);
    onnx_value *x[CNN_MAX_IN];
    for (size_t j = 0; j < nd->n->n_input && !st; j++) st = in_tensor(nd, j, &x[j]);
    if (st) return st;
    int64_t ax = attr_int(nd, "axis", 1);
    int rank = x[0]->rank;
    if (!attr(nd, "axis") || !(ax == 1 || (rank == 4 && ax == -3) || (rank == 2 && ax == -1)))
        return FAIL(nd, VSQ_EUNSUPPORTED, "only concatenation along channels (axis 1)");
    cnn_layer *l = new_layer(nd, CNN_CONCAT, x[0]);
    if (!l) return vsq_error(VSQ_ENOMEM, "%s: no memory", nd->c->what);
    const cnn_tensor *t0 = &nd->c->m->t[x[0]->tensor];
    int nonneg = 1;
    l->cout = 0;
    for (size_t j = 0; j < nd->n->n_input; j++) {
        const cnn_tensor *t = &nd->c->m->t[x[j]->tensor];
        if (t->h != t0->h || t->w != t0->w || x[j]->rank != rank)
            return FAIL(nd, VSQ_EFORMAT, "input %zu is %dx%d, input 0 is %dx%d", j, t->h, t->w, t0->h, t0->w);
        l->in[j] = x[j]->tensor;
        l->cout += t->c;
        nonneg &= t->nonneg;
    }
    l->n_in = (int)nd->n->n_input;
    return finish(nd, l, rank, nonneg);
}

/* Pad (constant mode, spatial axes only): pads from the input (opset >= 11)
 * or the attribute. */
static vsq_status op_pad(const node *nd) {
    static const char *const known[] = {"mode", "pads", "value", NULL};
    onnx_value *x = NULL, *p = NULL, *v = NULL;
    vsq_status st = check_attrs(nd, known);
    if (!st) st = in_tensor(nd, 0, &x);
    if (!st) st = in_const(nd, 1, 1, &p);
    if (!st) st = in_const(nd, 2, 1, &v);
    if (st) return st;
    if (in_name(nd, 3)[0]) return FAIL(nd, VSQ_EUNSUPPORTED, "the axes input");
    if (!attr_str_is(nd, "mode", "constant", "constant")) return FAIL(nd, VSQ_EUNSUPPORTED, "only mode=constant");
    int64_t pads[8];
    int np = p ? (p->i64 ? (int)p->numel : -2) : attr_ints(nd, "pads", pads, 8);
    if (p && p->i64 && p->numel == 8) memcpy(pads, p->i64, sizeof pads);
    if (np != 8 || x->rank != 4) return FAIL(nd, VSQ_EUNSUPPORTED, "pads must be 8 int64 values of an NCHW tensor");
    if (pads[0] || pads[1] || pads[4] || pads[5]) return FAIL(nd, VSQ_EUNSUPPORTED, "padding of the batch or channel axis");
    for (int i = 0; i < 8; i++)
        if (pads[i] < 0 || pads[i] > 64) return FAIL(nd, VSQ_EUNSUPPORTED, "pads out of range 0..64");
    if (v && (!v->f || v->numel != 1)) return FAIL(nd, VSQ_EUNSUPPORTED, "constant_value must be a float scalar");
    cnn_layer *l = new_layer(nd, CNN_PAD, x);
    if (!l) return vsq_error(VSQ_ENOMEM, "%s: no memory", nd->c->what);
    l->lo = v ? v->f[0] : attr_float(nd, "value", 0.0f);
    l->pt = (int)pads[2], l->pl = (int)pads[3], l->pb = (int)pads[6], l->pr = (int)pads[7];
    l->oh = l->ih + l->pt + l->pb, l->ow = l->iw + l->pl + l->pr;
    return finish(nd, l, 4, l->in_nonneg && l->lo >= 0);
}

static vsq_status op_constant(const node *nd) {
    static const char *const known[] = {"value", NULL};
    vsq_status st = check_attrs(nd, known);
    const Onnx__AttributeProto *a = attr(nd, "value");
    if (!st && (!a || !a->t)) st = FAIL(nd, VSQ_EUNSUPPORTED, "only a tensor 'value'");
    if (st) return st;
    if (nd->n->n_output != 1) return FAIL(nd, VSQ_EFORMAT, "needs one output");
    onnx_value *v = onnx_find(nd->c, nd->n->output[0]);
    v->tensor = -1;
    if ((st = onnx_decode_tensor(nd->c, a->t, v))) return FAIL(nd, st, "%s", vsq_last_error());
    return VSQ_OK;
}

static vsq_status op_identity(const node *nd, int dropout) {
    static const char *const none[] = {NULL}, *const dk[] = {"ratio", "seed", "is_test", NULL};
    onnx_value *x = NULL;
    vsq_status st = check_attrs(nd, dropout ? dk : none);
    if (!st) st = in_tensor(nd, 0, &x);
    if (!st && dropout) st = single_output(nd);
    if (st) return st;
    return alias(nd, x, x->rank);
}

vsq_status onnx_translate(onnx_ctx *c, const Onnx__NodeProto *n) {
    node nd = {c, n, ""};
    onnx_node_label(n, nd.lab, sizeof nd.lab);
    const char *op = n->op_type ? n->op_type : "";
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx"))
        return FAIL(&nd, VSQ_EUNSUPPORTED, "operator domain '%.40s'", n->domain);
    if (!strcmp(op, "Conv")) return op_conv(&nd);
    if (!strcmp(op, "BatchNormalization")) return op_batchnorm(&nd);
    if (!strcmp(op, "Relu")) return op_unary(&nd, CNN_RELU);
    if (!strcmp(op, "Clip")) return op_unary(&nd, CNN_CLIP);
    if (!strcmp(op, "Sigmoid")) return op_unary(&nd, CNN_SIGMOID);
    if (!strcmp(op, "Softmax")) return op_unary(&nd, CNN_SOFTMAX);
    if (!strcmp(op, "Add")) return op_binary(&nd, CNN_ADD);
    if (!strcmp(op, "Mul")) return op_binary(&nd, CNN_MUL);
    if (!strcmp(op, "MaxPool")) return op_pool(&nd, CNN_MAXPOOL);
    if (!strcmp(op, "AveragePool")) return op_pool(&nd, CNN_AVGPOOL);
    if (!strcmp(op, "GlobalAveragePool")) return op_gap(&nd);
    if (!strcmp(op, "Flatten")) return op_flatten(&nd);
    if (!strcmp(op, "Reshape")) return op_reshape(&nd);
    if (!strcmp(op, "Gemm")) return op_dense(&nd, 1);
    if (!strcmp(op, "MatMul")) return op_dense(&nd, 0);
    if (!strcmp(op, "Concat")) return op_concat(&nd);
    if (!strcmp(op, "Pad")) return op_pad(&nd);
    if (!strcmp(op, "Constant")) return op_constant(&nd);
    if (!strcmp(op, "Identity")) return op_identity(&nd, 0);
    if (!strcmp(op, "Dropout")) return op_identity(&nd, 1);
    return FAIL(&nd, VSQ_EUNSUPPORTED, "unsupported operator");
}
