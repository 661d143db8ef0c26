/* A sequential network: shapes, parameter layout, buffers, the forward and
 * backward passes over all layers, BN folding, and the two models of the
 * QAT study. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "train/layers_internal.h"

static const char *op_name(tr_op op) {
    static const char *names[] = {"conv", "dw", "dense", "bn", "relu", "relu6", "maxpool", "avgpool", "gap"};
    return names[op];
}

/* Output shape and parameter counts of one layer from its input shape. */
static vsq_status set_shape(tr_layer *l, const tr_spec *s, int h, int w, int c) {
    l->ih = h, l->iw = w, l->ic = c, l->k = s->k, l->stride = s->stride ? s->stride : 1, l->pad = s->pad;
    l->oh = h, l->ow = w, l->oc = c;
    switch (s->op) {
    case TR_CONV: case TR_DWCONV: case TR_MAXPOOL: case TR_AVGPOOL:
        if (l->k < 1 || l->pad < 0 || l->pad >= l->k || h + 2 * l->pad < l->k || w + 2 * l->pad < l->k)
            return vsq_error(VSQ_EINVAL, "layer %s: kernel %d / padding %d do not fit a %dx%d input",
                             l->name, l->k, l->pad, h, w);
        l->oh = (h + 2 * l->pad - l->k) / l->stride + 1;
        l->ow = (w + 2 * l->pad - l->k) / l->stride + 1;
        break;
    default: break;
    }
    if ((s->op == TR_MAXPOOL || s->op == TR_AVGPOOL) && l->pad)
        return vsq_error(VSQ_EINVAL, "layer %s: pooling has no padding", l->name);
    if (s->op == TR_CONV) l->oc = s->out_c, l->nw = (size_t)l->oc * l->k * l->k * c, l->nb = l->oc;
    if (s->op == TR_DWCONV) l->nw = (size_t)c * l->k * l->k, l->nb = c;
    if (s->op == TR_DENSE)
        l->oh = l->ow = 1, l->oc = s->out_c, l->nw = (size_t)l->oc * h * w * c, l->nb = l->oc;
    if (s->op == TR_BN) l->nw = l->nb = c;
    if (s->op == TR_GAP) l->oh = l->ow = 1;
    if ((s->op == TR_CONV || s->op == TR_DENSE) && s->out_c < 1)
        return vsq_error(VSQ_EINVAL, "layer %s: %d outputs", l->name, s->out_c);
    return VSQ_OK;
}

/* He-normal weights (std sqrt(2 / fan_in)), zero biases, BN gamma 1. */
static void init_params(tr_net *net, uint64_t seed) {
    vsq_rng r = {seed * 0x9E3779B97F4A7C15ull + 1};
    for (int i = 0; i < net->n; i++) {
        tr_layer *l = &net->l[i];
        float *w = net->params + l->w_off;
        if (l->op == TR_BN) {
            for (size_t j = 0; j < l->nw; j++) w[j] = 1.0f, l->rvar[j] = 1.0f;
        } else if (l->nw) {
            size_t rows = l->op == TR_DWCONV ? (size_t)l->ic : (size_t)l->oc;
            double sd = sqrt(2.0 / (double)(l->nw / rows));
            for (size_t j = 0; j < l->nw; j++) w[j] = (float)(sd * vsq_rng_gauss(&r));
        }
    }
}

static vsq_status alloc_buffers(tr_net *net) {
    size_t max_scratch = 0;
    net->act = calloc((size_t)net->n + 1, sizeof(float *));
    net->dact = calloc((size_t)net->n + 1, sizeof(float *));
    if (!net->act || !net->dact) return vsq_error(VSQ_ENOMEM, "no memory for the network");
    for (int i = 0; i <= net->n; i++) {
        size_t sz = i < net->n ? tr_layer_in_size(&net->l[i]) : (size_t)net->n_classes;
        net->act[i] = malloc(sizeof(float) * sz * net->batch_cap);
        net->dact[i] = malloc(sizeof(float) * sz * net->batch_cap);
        if (!net->act[i] || !net->dact[i]) return vsq_error(VSQ_ENOMEM, "no memory for activations");
    }
    for (int i = 0; i < net->n; i++) {
        tr_layer *l = &net->l[i];
        size_t s = 0;
        if (l->op == TR_CONV) s = 2 * (size_t)l->oh * l->ow * l->k * l->k * l->ic;
        if (l->op == TR_DWCONV) s = (size_t)l->k * l->k * l->ic;
        if (s > max_scratch) max_scratch = s;
        if (l->op == TR_BN) {
            l->rmean = calloc(4 * (size_t)l->ic, sizeof(float));
            if (!l->rmean) return vsq_error(VSQ_ENOMEM, "no memory");
            l->rvar = l->rmean + l->ic, l->bmean = l->rvar + l->ic, l->binvstd = l->bmean + l->ic;
        }
        if (l->op == TR_MAXPOOL && !(l->argmax = malloc(sizeof(int) * tr_layer_out_size(l) * net->batch_cap)))
            return vsq_error(VSQ_ENOMEM, "no memory");
        if (l->nw && l->op <= TR_DENSE && !(l->wt = malloc(sizeof(float) * l->nw)))
            return vsq_error(VSQ_ENOMEM, "no memory");
    }
    net->scratch_per_thread = max_scratch + 16;
    net->scratch = malloc(sizeof(float) * net->scratch_per_thread * net->n_threads);
    net->params = calloc(3 * net->n_params, sizeof(float));
    net->tgrads = calloc(net->n_params * net->n_threads, sizeof(float));
    if (!net->scratch || !net->params || !net->tgrads) return vsq_error(VSQ_ENOMEM, "no memory");
    net->grads = net->params + net->n_params, net->mom = net->grads + net->n_params;
    return VSQ_OK;
}

vsq_status tr_net_build(tr_net *net, const char *model, int in_h, int in_w, int in_c,
                        const tr_spec *specs, int n_specs, int batch_cap, uint64_t seed) {
    *net = (tr_net){.n = n_specs, .in_h = in_h, .in_w = in_w, .in_c = in_c, .batch_cap = batch_cap};
    snprintf(net->model, sizeof net->model, "%s", model);
    net->n_threads = omp_get_max_threads();
    if (batch_cap < 1 || n_specs < 1) return vsq_error(VSQ_EINVAL, "empty network or batch");
    net->l = calloc((size_t)n_specs, sizeof(tr_layer));
    if (!net->l) return vsq_error(VSQ_ENOMEM, "no memory for layers");
    int h = in_h, w = in_w, c = in_c, count[16] = {0};
    for (int i = 0; i < n_specs; i++) {
        tr_layer *l = &net->l[i];
        l->op = specs[i].op;
        snprintf(l->name, sizeof l->name, "%s%d", op_name(l->op), ++count[l->op]);
        vsq_status st = set_shape(l, &specs[i], h, w, c);
        if (st) { tr_net_free(net); return st; }
        l->w_off = net->n_params, l->b_off = net->n_params + l->nw;
        net->n_params += l->nw + l->nb;
        h = l->oh, w = l->ow, c = l->oc;
    }
    net->n_classes = h * w * c;
    vsq_status st = alloc_buffers(net);
    if (st) { tr_net_free(net); return st; }
    init_params(net, seed);
    return VSQ_OK;
}

#define CONV(o, k_, s_, p_) {TR_CONV, o, k_, s_, p_}
#define DW(k_, s_, p_) {TR_DWCONV, 0, k_, s_, p_}
#define BN {TR_BN, 0, 0, 0, 0}
#define RELU {TR_RELU, 0, 0, 0, 0}
#define RELU6 {TR_RELU6, 0, 0, 0, 0}
#define MAXPOOL2 {TR_MAXPOOL, 0, 2, 2, 0}
#define DENSE(o) {TR_DENSE, o, 0, 0, 0}

/* (a) plain conv-BN-ReLU CNN, 28x28 -> 14 -> 7, ~226k parameters (most of
 * them in the first dense layer), 4.3 MFLOP per image: small enough to
 * train several epochs on a shared 2-core machine. */
static const tr_spec cnn_specs[] = {
    CONV(16, 3, 1, 1), BN, RELU, MAXPOOL2,
    CONV(32, 3, 1, 1), BN, RELU, MAXPOOL2,
    CONV(64, 3, 1, 1), BN, RELU,
    DENSE(64), BN, RELU, DENSE(10)};
/* (b) MobileNet-style: 3x3 conv, then depthwise 3x3 + pointwise 1x1
 * blocks (ReLU6), global average pooling, one dense classifier. */
static const tr_spec mbnet_specs[] = {
    CONV(16, 3, 1, 1), BN, RELU6,
    DW(3, 2, 1), BN, RELU6, CONV(32, 1, 1, 0), BN, RELU6,
    DW(3, 1, 1), BN, RELU6, CONV(64, 1, 1, 0), BN, RELU6,
    DW(3, 2, 1), BN, RELU6, CONV(128, 1, 1, 0), BN, RELU6,
    DW(3, 1, 1), BN, RELU6, CONV(128, 1, 1, 0), BN, RELU6,
    {TR_GAP, 0, 0, 0, 0}, DENSE(10)};

vsq_status tr_net_build_named(tr_net *net, const char *model, int batch_cap, uint64_t seed) {
    if (!strcmp(model, "cnn"))
        return tr_net_build(net, model, 28, 28, 1, cnn_specs, sizeof cnn_specs / sizeof *cnn_specs, batch_cap, seed);
    if (!strcmp(model, "mbnet"))
        return tr_net_build(net, model, 28, 28, 1, mbnet_specs, sizeof mbnet_specs / sizeof *mbnet_specs, batch_cap, seed);
    return vsq_error(VSQ_EINVAL, "unknown model '%s' (cnn or mbnet)", model);
}

void tr_net_free(tr_net *net) {
    for (int i = 0; net->l && i < net->n; i++) {
        tr_layer *l = &net->l[i];
        free(l->rmean), free(l->argmax), free(l->wt), free(l->wq), free(l->wg), free(l->ag);
    }
    for (int i = 0; net->act && i <= net->n; i++) free(net->act[i]), free(net->dact[i]);
    free(net->act), free(net->dact), free(net->l), free(net->scratch), free(net->params), free(net->tgrads);
    *net = (tr_net){0};
}

vsq_status tr_net_forward(tr_net *net, const float *x, int n, const float **logits) {
    if (n < 1 || n > net->batch_cap)
        return vsq_error(VSQ_EINVAL, "batch of %d images, network built for at most %d", n, net->batch_cap);
    memcpy(net->act[0], x, sizeof(float) * (size_t)n * tr_layer_in_size(&net->l[0]));
    for (int i = 0; i < net->n; i++) {
        if (net->qat && net->l[i].quant_in) {
            vsq_status st = tr_qat_input(net, i, net->act[i], n);
            if (st) return st;
        }
        tr_layer_forward(net, i, net->act[i], net->act[i + 1], n);
    }
    *logits = net->act[net->n];
    return VSQ_OK;
}

/* The thread buffers summed in thread order (the fixed reduction order),
 * then the straight-through factors of quantized weights applied. */
static void reduce_grads(tr_net *net) {
    memcpy(net->grads, net->tgrads, sizeof(float) * net->n_params);
    for (int t = 1; t < net->n_threads; t++) {
        const float *g = net->tgrads + (size_t)t * net->n_params;
        for (size_t j = 0; j < net->n_params; j++) net->grads[j] += g[j];
    }
    for (int i = 0; i < net->n; i++) {
        tr_layer *l = &net->l[i];
        if (!l->wg) continue;
        for (size_t j = 0; j < l->nw; j++) net->grads[l->w_off + j] *= l->wg[j];
    }
}

void tr_net_backward(tr_net *net, const float *dlogits, int n) {
    memset(net->tgrads, 0, sizeof(float) * net->n_params * net->n_threads);
    memcpy(net->dact[net->n], dlogits, sizeof(float) * (size_t)n * net->n_classes);
    for (int i = net->n - 1; i >= 0; i--) {
        tr_layer *l = &net->l[i];
        tr_layer_backward(net, i, net->act[i], net->dact[i + 1], net->dact[i], n);
        if (l->ag) {
            size_t len = (size_t)n * tr_layer_in_size(l);
            for (size_t j = 0; j < len; j++) net->dact[i][j] *= l->ag[j];
        }
    }
    reduce_grads(net);
}

double tr_softmax_xent(const float *logits, const uint8_t *labels, int n, int classes,
                       float *dlogits, int *correct) {
    double loss = 0;
    int hits = 0;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * classes;
        int arg = 0;
        for (int c = 1; c < classes; c++)
            if (z[c] > z[arg]) arg = c;
        hits += arg == labels[i];
        double sum = 0;
        for (int c = 0; c < classes; c++) sum += exp((double)z[c] - z[arg]);
        double lse = z[arg] + log(sum);
        loss += lse - z[labels[i]];
        if (dlogits)
            for (int c = 0; c < classes; c++)
                dlogits[(size_t)i * classes + c] =
                    (float)((exp((double)z[c] - lse) - (c == labels[i])) / n);
    }
    if (correct) *correct = hits;
    return loss / n;
}

/* W'[o] = W[o] * gamma/sqrt(var+eps), b' = (b - mean) * gamma/sqrt(var+eps) + beta,
 * then the BN becomes the identity. Only BN right after a conv or dense. */
vsq_status tr_net_fold_bn(tr_net *net) {
    for (int i = 1; i < net->n; i++) {
        tr_layer *bn = &net->l[i], *m = &net->l[i - 1];
        if (bn->op != TR_BN || bn->folded) continue;
        if (m->op > TR_DENSE)
            return vsq_error(VSQ_EUNSUPPORTED, "layer %s: BN not after a conv/dense layer cannot be folded", bn->name);
        float *w = net->params + m->w_off, *b = net->params + m->b_off;
        const float *gamma = net->params + bn->w_off, *beta = net->params + bn->b_off;
        size_t per = m->nw / (size_t)bn->ic;
        for (int c = 0; c < bn->ic; c++) {
            double k = gamma[c] / sqrt((double)bn->rvar[c] + TR_BN_EPS);
            for (size_t j = 0; j < per; j++) w[(size_t)c * per + j] = (float)(w[(size_t)c * per + j] * k);
            b[c] = (float)((b[c] - bn->rmean[c]) * k + beta[c]);
        }
        bn->folded = 1;
    }
    return VSQ_OK;
}

size_t tr_net_flops_per_image(const tr_net *net) {
    size_t macs = 0;
    for (int i = 0; i < net->n; i++) {
        const tr_layer *l = &net->l[i];
        if (l->op == TR_CONV || l->op == TR_DWCONV) macs += (size_t)l->oh * l->ow * l->nw;
        if (l->op == TR_DENSE) macs += l->nw;
    }
    return 2 * macs;
}
