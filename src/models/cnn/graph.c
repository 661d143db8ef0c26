/* The TF.js front end: build the graph from a Keras topology (TF.js
 * "layers" model.json). Only chains are supported (each layer's single input is the previous
 * layer), which covers MobileNetV1 at every width multiplier. BatchNorm is
 * folded into the convolution before it: w' = w*g/sqrt(v+eps),
 * b' = (b-mean)*g/sqrt(v+eps) + beta. */
#include "models/cnn/cnn.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    cnn_model *m;
    const cnn_weights *ws;
    int h, w, c;      /* current shape */
    int nonneg;       /* current tensor is >= 0 */
    int foldable;     /* last op is a MAC layer that a BN may fold into */
} builder;

static const cJSON *item(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static int int_pair(const cJSON *o, int idx, int dflt) {
    if (cJSON_IsNumber(o)) return o->valueint;
    if (cJSON_IsArray(o) && cJSON_GetArraySize(o) > idx && cJSON_IsNumber(cJSON_GetArrayItem(o, idx)))
        return cJSON_GetArrayItem(o, idx)->valueint;
    return dflt;
}

static const char *str_or(const cJSON *o, const char *k, const char *dflt) {
    const cJSON *s = item(o, k);
    return cJSON_IsString(s) ? s->valuestring : dflt;
}

static cnn_layer *push(builder *b, cnn_op op, const char *name) {
    cnn_layer *l = cnn_model_add_layer(b->m, op, name);
    if (!l) return NULL;
    l->ih = l->oh = b->h;
    l->iw = l->ow = b->w;
    l->cin = l->cout = b->c;
    l->in_nonneg = b->nonneg;
    return l;
}

static vsq_status get_weight(const builder *b, const char *layer, const char *key, int ndim,
                             const int *shape, const cnn_weight **out) {
    const cnn_weight *w = cnn_weights_find(b->ws, layer, key);
    if (!w) return vsq_error(VSQ_EFORMAT, "layer %s: weight %s/%s not in the manifest", layer, layer, key);
    int ok = w->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++) ok = w->shape[i] == shape[i];
    if (!ok) return vsq_error(VSQ_EFORMAT, "layer %s: weight %s has an unexpected shape", layer, w->name);
    *out = w;
    return VSQ_OK;
}

/* Keras padding "same": out = ceil(in/s), the odd pixel goes bottom/right. */
static void set_spatial(cnn_layer *l, const char *padding) {
    if (!strcmp(padding, "same")) {
        l->same = 1;
        l->oh = (l->ih + l->sh - 1) / l->sh;
        l->ow = (l->iw + l->sw - 1) / l->sw;
        int th = (l->oh - 1) * l->sh + l->kh - l->ih, tw = (l->ow - 1) * l->sw + l->kw - l->iw;
        if (th < 0) th = 0;
        if (tw < 0) tw = 0;
        l->pt = th / 2, l->pb = th - th / 2, l->pl = tw / 2, l->pr = tw - tw / 2;
    } else {
        l->oh = (l->ih - l->kh) / l->sh + 1;
        l->ow = (l->iw - l->kw) / l->sw + 1;
    }
}

static vsq_status add_activation(builder *b, const char *name, const char *act) {
    if (!strcmp(act, "linear")) return VSQ_OK;
    cnn_op op;
    if (!strcmp(act, "relu")) op = CNN_RELU;
    else if (!strcmp(act, "relu6")) op = CNN_RELU6;
    else if (!strcmp(act, "softmax")) op = CNN_SOFTMAX;
    else return vsq_error(VSQ_EUNSUPPORTED, "layer %s: unsupported activation '%s'", name, act);
    if (!push(b, op, name)) return vsq_error(VSQ_ENOMEM, "no memory for layer %s", name);
    b->nonneg = 1; /* relu, relu6 and softmax outputs are all >= 0 */
    b->foldable = 0;
    return VSQ_OK;
}

static vsq_status add_conv(builder *b, const char *name, const cJSON *cfg, int depthwise) {
    if (int_pair(item(cfg, "dilation_rate"), 0, 1) != 1 || int_pair(item(cfg, "dilation_rate"), 1, 1) != 1)
        return vsq_error(VSQ_EUNSUPPORTED, "layer %s: dilated convolution", name);
    if (strcmp(str_or(cfg, "data_format", "channels_last"), "channels_last"))
        return vsq_error(VSQ_EUNSUPPORTED, "layer %s: data_format must be channels_last", name);
    if (depthwise && int_pair(item(cfg, "depth_multiplier"), 0, 1) != 1)
        return vsq_error(VSQ_EUNSUPPORTED, "layer %s: depth_multiplier != 1", name);
    int filters = depthwise ? b->c : int_pair(item(cfg, "filters"), 0, 0);
    if (filters <= 0) return vsq_error(VSQ_EFORMAT, "layer %s: bad filters", name);
    cnn_layer *l = push(b, depthwise ? CNN_DWCONV : CNN_CONV, name);
    if (!l) return vsq_error(VSQ_ENOMEM, "no memory for layer %s", name);
    l->kh = int_pair(item(cfg, "kernel_size"), 0, 1), l->kw = int_pair(item(cfg, "kernel_size"), 1, l->kh);
    l->sh = int_pair(item(cfg, "strides"), 0, 1), l->sw = int_pair(item(cfg, "strides"), 1, l->sh);
    /* strides beyond the input size limit (4096) would overflow the int
     * arithmetic of set_spatial (found by fuzz_tfjs) */
    if (l->kh < 1 || l->kw < 1 || l->sh < 1 || l->sw < 1 || l->kh > l->ih + 64 || l->kw > l->iw + 64 ||
        l->sh > 4096 || l->sw > 4096)
        return vsq_error(VSQ_EFORMAT, "layer %s: bad kernel size or strides", name);
    set_spatial(l, str_or(cfg, "padding", "valid"));
    if (l->oh < 1 || l->ow < 1) return vsq_error(VSQ_EFORMAT, "layer %s: output would be empty", name);
    l->cout = filters;
    l->k = depthwise ? l->kh * l->kw : l->kh * l->kw * l->cin;
    const cnn_weight *kw = NULL;
    int shape[4] = {l->kh, l->kw, l->cin, depthwise ? 1 : filters};
    vsq_status st = get_weight(b, name, depthwise ? "depthwise_kernel" : "kernel", 4, shape, &kw);
    if (st) return st;
    l->w = malloc((size_t)l->cout * l->k * sizeof(float));
    l->b = calloc((size_t)l->cout, sizeof(float));
    if (!l->w || !l->b) return vsq_error(VSQ_ENOMEM, "no memory for layer %s", name);
    /* HWIO -> W[cout][(kh,kw,cin)]; depthwise HW C 1 -> W[c][(kh,kw)] */
    size_t taps = (size_t)l->kh * l->kw;
    for (size_t t = 0; t < taps; t++)
        for (int ci = 0; ci < l->cin; ci++)
            for (int co = 0; co < (depthwise ? 1 : filters); co++) {
                float v = kw->data[(t * l->cin + ci) * (depthwise ? 1 : filters) + co];
                if (depthwise) l->w[(size_t)ci * taps + t] = v;
                else l->w[(size_t)co * l->k + t * l->cin + ci] = v;
            }
    if (cJSON_IsTrue(item(cfg, "use_bias"))) {
        const cnn_weight *bw = NULL;
        if ((st = get_weight(b, name, "bias", 1, &filters, &bw))) return st;
        memcpy(l->b, bw->data, (size_t)filters * sizeof(float));
    }
    b->h = l->oh, b->w = l->ow, b->c = l->cout;
    b->nonneg = 0;
    b->foldable = 1;
    return add_activation(b, name, str_or(cfg, "activation", "linear"));
}

static vsq_status add_dense(builder *b, const char *name, const cJSON *cfg) {
    int units = int_pair(item(cfg, "units"), 0, 0);
    if (units <= 0) return vsq_error(VSQ_EFORMAT, "layer %s: bad units", name);
    if (b->h != 1 || b->w != 1)
        return vsq_error(VSQ_EUNSUPPORTED, "layer %s: Dense on a %dx%dx%d tensor (flatten first)", name, b->h, b->w, b->c);
    cnn_layer *l = push(b, CNN_DENSE, name);
    if (!l) return vsq_error(VSQ_ENOMEM, "no memory for layer %s", name);
    l->cout = units;
    l->k = l->cin;
    const cnn_weight *kw = NULL;
    int shape[2] = {l->cin, units};
    vsq_status st = get_weight(b, name, "kernel", 2, shape, &kw);
    if (st) return st;
    l->w = malloc((size_t)units * l->k * sizeof(float));
    l->b = calloc((size_t)units, sizeof(float));
    if (!l->w || !l->b) return vsq_error(VSQ_ENOMEM, "no memory for layer %s", name);
    for (int i = 0; i < l->cin; i++)
        for (int o = 0; o < units; o++) l->w[(size_t)o * l->k + i] = kw->data[(size_t)i * units + o];
    if (cJSON_IsTrue(item(cfg, "use_bias"))) {
        const cnn_weight *bw = NULL;
        if ((st = get_weight(b, name, "bias", 1, &units, &bw))) return st;
        memcpy(l->b, bw->data, (size_t)units * sizeof(float));
    }
    b->c = units;
    b->nonneg = 0;
    b->foldable = 1;
    return add_activation(b, name, str_or(cfg, "activation", "linear"));
}

static vsq_status fold_bn(builder *b, const char *name, const cJSON *cfg) {
    if (!b->foldable)
        return vsq_error(VSQ_EUNSUPPORTED, "layer %s: BatchNormalization not right after a convolution", name);
    cnn_layer *l = &b->m->l[b->m->n - 1];
    int axis = int_pair(item(cfg, "axis"), 0, -1);
    if (axis != -1 && axis != 3) return vsq_error(VSQ_EUNSUPPORTED, "layer %s: BatchNormalization axis %d", name, axis);
    double eps = cJSON_IsNumber(item(cfg, "epsilon")) ? item(cfg, "epsilon")->valuedouble : 1e-3;
    int c = l->cout;
    const cnn_weight *g = NULL, *be = NULL, *mu = NULL, *var = NULL;
    vsq_status st;
    if (!cJSON_IsFalse(item(cfg, "scale")) && (st = get_weight(b, name, "gamma", 1, &c, &g))) return st;
    if (!cJSON_IsFalse(item(cfg, "center")) && (st = get_weight(b, name, "beta", 1, &c, &be))) return st;
    if ((st = get_weight(b, name, "moving_mean", 1, &c, &mu))) return st;
    if ((st = get_weight(b, name, "moving_variance", 1, &c, &var))) return st;
    for (int o = 0; o < c; o++) {
        double s = (g ? g->data[o] : 1.0) / sqrt((double)var->data[o] + eps);
        for (int k = 0; k < l->k; k++) l->w[(size_t)o * l->k + k] = (float)(l->w[(size_t)o * l->k + k] * s);
        l->b[o] = (float)((l->b[o] - mu->data[o]) * s + (be ? be->data[o] : 0.0));
    }
    b->foldable = 0;
    return VSQ_OK;
}

static vsq_status add_simple(builder *b, const char *cls, const char *name, const cJSON *cfg) {
    if (!strcmp(cls, "Dropout") || !strcmp(cls, "InputLayer")) return VSQ_OK;
    if (!strcmp(cls, "Activation")) return add_activation(b, name, str_or(cfg, "activation", "linear"));
    if (!strcmp(cls, "Softmax")) return add_activation(b, name, "softmax");
    if (!strcmp(cls, "ReLU")) {
        const cJSON *mv = item(cfg, "max_value"), *ns = item(cfg, "negative_slope"), *th = item(cfg, "threshold");
        if ((cJSON_IsNumber(ns) && ns->valuedouble != 0) || (cJSON_IsNumber(th) && th->valuedouble != 0))
            return vsq_error(VSQ_EUNSUPPORTED, "layer %s: leaky/thresholded ReLU", name);
        if (cJSON_IsNumber(mv) && mv->valuedouble != 6.0)
            return vsq_error(VSQ_EUNSUPPORTED, "layer %s: ReLU max_value %g", name, mv->valuedouble);
        return add_activation(b, name, cJSON_IsNumber(mv) ? "relu6" : "relu");
    }
    if (!strcmp(cls, "Reshape") || !strcmp(cls, "Flatten")) {
        const cJSON *ts = item(cfg, "target_shape");
        size_t want = 1, have = (size_t)b->h * b->w * b->c;
        int d[3] = {1, 1, (int)have}, nd = cJSON_GetArraySize(ts);
        if (!strcmp(cls, "Reshape")) {
            if (!cJSON_IsArray(ts) || nd < 1 || nd > 3) return vsq_error(VSQ_EUNSUPPORTED, "layer %s: Reshape target", name);
            for (int i = 0; i < nd; i++) d[3 - nd + i] = int_pair(ts, i, -1), want *= (size_t)(d[3 - nd + i] > 0 ? d[3 - nd + i] : 0);
            if (want != have) return vsq_error(VSQ_EUNSUPPORTED, "layer %s: Reshape changes the size", name);
        }
        b->h = d[0], b->w = d[1], b->c = d[2];
        b->foldable = 0;
        return VSQ_OK;
    }
    if (!strcmp(cls, "GlobalAveragePooling2D") || !strcmp(cls, "ZeroPadding2D")) {
        int gap = cls[0] == 'G';
        cnn_layer *l = push(b, gap ? CNN_GAP : CNN_PAD, name);
        if (!l) return vsq_error(VSQ_ENOMEM, "no memory for layer %s", name);
        if (gap) l->oh = l->ow = 1;
        else {
            const cJSON *p = item(cfg, "padding");
            const cJSON *p0 = cJSON_GetArrayItem(p, 0), *p1 = cJSON_GetArrayItem(p, 1);
            if (cJSON_IsNumber(p)) l->pt = l->pb = l->pl = l->pr = p->valueint;
            else if (cJSON_IsArray(p0)) l->pt = int_pair(p0, 0, 0), l->pb = int_pair(p0, 1, 0), l->pl = int_pair(p1, 0, 0), l->pr = int_pair(p1, 1, 0);
            else l->pt = l->pb = int_pair(p, 0, 0), l->pl = l->pr = int_pair(p, 1, 0);
            /* each side bounded before the sums (INT_MAX + 1 found by fuzz_tfjs) */
            if (l->pt < 0 || l->pb < 0 || l->pl < 0 || l->pr < 0 || l->pt > 64 || l->pb > 64 ||
                l->pl > 64 || l->pr > 64 || l->pt + l->pb > 64 || l->pl + l->pr > 64)
                return vsq_error(VSQ_EFORMAT, "layer %s: bad ZeroPadding2D padding", name);
            l->oh = l->ih + l->pt + l->pb, l->ow = l->iw + l->pl + l->pr;
        }
        b->h = l->oh, b->w = l->ow;
        b->foldable = 0;
        return VSQ_OK;
    }
    return vsq_error(VSQ_EUNSUPPORTED, "layer %s: unknown layer type '%s'", name, cls);
}

static vsq_status add_layer(builder *b, const cJSON *layer, const char *prev) {
    const char *cls = str_or(layer, "class_name", NULL);
    const cJSON *cfg = item(layer, "config");
    const char *name = str_or(cfg, "name", str_or(layer, "name", "?"));
    if (!cls || !cJSON_IsObject(cfg)) return vsq_error(VSQ_EFORMAT, "model.json: layer %s lacks class_name/config", name);
    /* functional models: the single inbound node must be the previous layer */
    const cJSON *in = item(layer, "inbound_nodes");
    if (cJSON_GetArraySize(in) > 0) {
        const cJSON *n0 = cJSON_GetArrayItem(in, 0);
        const cJSON *src = cJSON_GetArrayItem(cJSON_GetArrayItem(n0, 0), 0);
        if (cJSON_GetArraySize(in) != 1 || cJSON_GetArraySize(n0) != 1 || !cJSON_IsString(src) || !prev ||
            strcmp(src->valuestring, prev))
            return vsq_error(VSQ_EUNSUPPORTED, "layer %s: only chain topologies are supported", name);
    }
    const cJSON *bis = item(cfg, "batch_input_shape");
    if (cJSON_IsArray(bis)) {
        if (cJSON_GetArraySize(bis) != 4) return vsq_error(VSQ_EUNSUPPORTED, "layer %s: input must be [N,H,W,C]", name);
        b->h = b->m->in_h = int_pair(bis, 1, 0), b->w = b->m->in_w = int_pair(bis, 2, 0), b->c = b->m->in_c = int_pair(bis, 3, 0);
        if (b->h < 1 || b->w < 1 || b->c < 1 || b->h > 4096 || b->w > 4096 || b->c > 64)
            return vsq_error(VSQ_EUNSUPPORTED, "layer %s: input shape must be fixed HxWxC", name);
    }
    if (b->m->in_h == 0) return vsq_error(VSQ_EFORMAT, "model.json: no input shape before layer %s", name);
    if (!strcmp(cls, "Conv2D")) return add_conv(b, name, cfg, 0);
    if (!strcmp(cls, "DepthwiseConv2D")) return add_conv(b, name, cfg, 1);
    if (!strcmp(cls, "Dense")) return add_dense(b, name, cfg);
    if (!strcmp(cls, "BatchNormalization")) return fold_bn(b, name, cfg);
    return add_simple(b, cls, name, cfg);
}

static vsq_status build_model(const char *dir, cnn_weights ws, void *root, cnn_model *m);

vsq_status cnn_model_load(const char *dir, cnn_model *m) {
    memset(m, 0, sizeof *m);
    cnn_weights ws;
    void *root;
    vsq_status st = cnn_weights_load(dir, &ws, &root);
    return st ? st : build_model(dir, ws, root, m);
}

vsq_status cnn_model_parse(const char *json, size_t len, const cnn_shard_reader *r, cnn_model *m) {
    memset(m, 0, sizeof *m);
    cnn_weights ws;
    void *root;
    vsq_status st = cnn_weights_parse(json, len, r, &ws, &root);
    return st ? st : build_model(r->what, ws, root, m);
}

/* The layer list from the parsed model.json; consumes ws and root. */
static vsq_status build_model(const char *dir, cnn_weights ws, void *root, cnn_model *m) {
    vsq_status st = VSQ_OK;
    const cJSON *topo = item((cJSON *)root, "modelTopology");
    const cJSON *mc = item(topo, "model_config") ? item(topo, "model_config") : topo;
    const cJSON *cfg = item(mc, "config");
    const cJSON *layers = cJSON_IsArray(cfg) ? cfg : item(cfg, "layers");
    builder b = {.m = m, .ws = &ws};
    if (!cJSON_IsArray(layers)) st = vsq_error(VSQ_EFORMAT, "%s/model.json: no modelTopology layers", dir);
    const char *prev = NULL;
    const cJSON *layer;
    cJSON_ArrayForEach(layer, layers) {
        if (st) break;
        st = add_layer(&b, layer, prev);
        prev = str_or(item(layer, "config"), "name", str_or(layer, "name", NULL));
    }
    if (!st && (m->n == 0 || b.h != 1 || b.w != 1))
        st = vsq_error(VSQ_EUNSUPPORTED, "%s: the model does not end in a 1x1xC (or C) classifier output", dir);
    m->n_classes = b.c;
    cnn_json_free(root);
    cnn_weights_free(&ws);
    snprintf(m->format, sizeof m->format, "tfjs");
    if (!st) st = cnn_model_chain(m);
    if (!st) st = cnn_model_plan(m);
    if (st) { cnn_model_free(m); return st; }
    return VSQ_OK;
}

void cnn_model_free(cnn_model *m) {
    for (int i = 0; i < m->n; i++) {
        free(m->l[i].w);
        free(m->l[i].b);
    }
    cnn_clear_weights(m);
    free(m->l);
    free(m->t);
    free(m->slot_size);
    memset(m, 0, sizeof *m);
}

/* Symmetric variant: "same" convolutions pad floor(k/2) on top/left even
 * at stride 2, as a PyTorch port with padding=k//2 does. Not Keras
 * semantics; it reproduces the shared README's reference accuracy. */
void cnn_model_set_padding(cnn_model *m, cnn_padding p) {
    for (int i = 0; i < m->n; i++) {
        cnn_layer *l = &m->l[i];
        if (!l->same) continue;
        int th = (l->oh - 1) * l->sh + l->kh - l->ih, tw = (l->ow - 1) * l->sw + l->kw - l->iw;
        th = th < 0 ? 0 : th, tw = tw < 0 ? 0 : tw;
        l->pt = p == CNN_PAD_SYMMETRIC ? l->kh / 2 : th / 2;
        l->pl = p == CNN_PAD_SYMMETRIC ? l->kw / 2 : tw / 2;
        l->pb = th - l->pt, l->pr = tw - l->pl; /* may go negative: unused, bounds are checked */
    }
}

int cnn_is_mac(const cnn_layer *l) { return l->op <= CNN_DENSE; }

const char *cnn_op_name(cnn_op op) {
    static const char *names[] = {"conv", "dwconv", "dense", "relu", "relu6", "pad", "gap", "softmax",
                                  "clip", "sigmoid", "affine", "add", "mul", "concat", "maxpool",
                                  "avgpool", "flatten"};
    return op < CNN_N_OPS ? names[op] : "?";
}
