/* Forward and backward of the non-MAC layers: BatchNorm (train and eval
 * modes), ReLU, ReLU6, max / average pooling, global average pooling; and
 * the dispatch to the MAC layers (layers_mac.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/layers_internal.h"

size_t tr_layer_in_size(const tr_layer *l) { return (size_t)l->ih * l->iw * l->ic; }
size_t tr_layer_out_size(const tr_layer *l) { return (size_t)l->oh * l->ow * l->oc; }

/* Batch statistics per channel over all n*H*W positions, summed serially
 * in double (a fixed order, independent of the thread count). */
static void bn_batch_stats(tr_layer *l, const float *x, size_t rows) {
    int C = l->ic;
    double *s = calloc(2 * (size_t)C, sizeof(double)), *s2 = s + C;
    for (size_t r = 0; r < rows; r++)
        for (int c = 0; c < C; c++) s[c] += x[r * C + c];
    for (int c = 0; c < C; c++) s[c] /= (double)rows;
    for (size_t r = 0; r < rows; r++)
        for (int c = 0; c < C; c++) {
            double d = x[r * C + c] - s[c];
            s2[c] += d * d;
        }
    for (int c = 0; c < C; c++) {
        double var = s2[c] / (double)rows;
        l->bmean[c] = (float)s[c];
        l->binvstd[c] = (float)(1.0 / sqrt(var + TR_BN_EPS));
        double unbiased = rows > 1 ? s2[c] / (double)(rows - 1) : var;
        l->rmean[c] = (float)((1 - TR_BN_MOMENTUM) * l->rmean[c] + TR_BN_MOMENTUM * s[c]);
        l->rvar[c] = (float)((1 - TR_BN_MOMENTUM) * l->rvar[c] + TR_BN_MOMENTUM * unbiased);
    }
    free(s);
}

static void bn_eval_stats(tr_layer *l) {
    for (int c = 0; c < l->ic; c++) {
        l->bmean[c] = l->rmean[c];
        l->binvstd[c] = (float)(1.0 / sqrt((double)l->rvar[c] + TR_BN_EPS));
    }
}

static void bn_forward(tr_net *net, tr_layer *l, const float *x, float *y, int n) {
    size_t rows = (size_t)n * l->ih * l->iw;
    int C = l->ic;
    if (l->folded) { memcpy(y, x, sizeof(float) * rows * C); return; }
    if (net->training) bn_batch_stats(l, x, rows);
    else bn_eval_stats(l);
    const float *gamma = net->params + l->w_off, *beta = net->params + l->b_off;
#pragma omp parallel for num_threads(net->n_threads) schedule(static)
    for (size_t r = 0; r < rows; r++)
        for (int c = 0; c < C; c++)
            y[r * C + c] = gamma[c] * (x[r * C + c] - l->bmean[c]) * l->binvstd[c] + beta[c];
}

/* Train mode: dx = gamma*invstd/M * (M*dy - sum dy - xhat * sum dy*xhat).
 * Eval mode (statistics are constants): dx = gamma*invstd*dy. */
static void bn_backward(tr_net *net, tr_layer *l, const float *x, const float *dy, float *dx,
                        int n) {
    size_t rows = (size_t)n * l->ih * l->iw;
    int C = l->ic;
    if (l->folded) { if (dx) memcpy(dx, dy, sizeof(float) * rows * C); return; }
    const float *gamma = net->params + l->w_off;
    float *g = net->tgrads; /* thread 0's buffer: this sum is serial */
    double *sdy = calloc(2 * (size_t)C, sizeof(double)), *sdyx = sdy + C;
    for (size_t r = 0; r < rows; r++)
        for (int c = 0; c < C; c++) {
            double xhat = (x[r * C + c] - l->bmean[c]) * l->binvstd[c];
            sdy[c] += dy[r * C + c];
            sdyx[c] += dy[r * C + c] * xhat;
        }
    for (int c = 0; c < C; c++) {
        g[l->w_off + c] += (float)sdyx[c];
        g[l->b_off + c] += (float)sdy[c];
    }
    if (dx) {
        double M = (double)rows;
        int train = net->training;
#pragma omp parallel for num_threads(net->n_threads) schedule(static)
        for (size_t r = 0; r < rows; r++)
            for (int c = 0; c < C; c++) {
                double k = (double)gamma[c] * l->binvstd[c];
                if (!train) { dx[r * C + c] = (float)(k * dy[r * C + c]); continue; }
                double xhat = (x[r * C + c] - l->bmean[c]) * l->binvstd[c];
                dx[r * C + c] = (float)(k / M * (M * dy[r * C + c] - sdy[c] - xhat * sdyx[c]));
            }
    }
    free(sdy);
}

static void act_forward(const tr_net *net, const tr_layer *l, const float *x, float *y, int n) {
    size_t len = (size_t)n * tr_layer_in_size(l);
    float hi = l->op == TR_RELU6 ? 6.0f : INFINITY;
    for (size_t i = 0; i < len; i++) y[i] = x[i] > 0 ? (x[i] < hi ? x[i] : hi) : 0.0f;
}

/* The derivative is taken as 0 at the kinks (x = 0, x = 6). */
static void act_backward(const tr_layer *l, const float *x, const float *dy, float *dx, int n) {
    size_t len = (size_t)n * tr_layer_in_size(l);
    float hi = l->op == TR_RELU6 ? 6.0f : INFINITY;
    for (size_t i = 0; i < len; i++) dx[i] = (x[i] > 0 && x[i] < hi) ? dy[i] : 0.0f;
}

/* k x k windows at `stride`, no padding; max pool records the argmax. */
static void pool_forward(tr_net *net, tr_layer *l, const float *x, float *y, int n) {
    int C = l->ic, k = l->k;
    size_t isz = tr_layer_in_size(l), osz = tr_layer_out_size(l);
#pragma omp parallel for num_threads(net->n_threads) schedule(static)
    for (int i = 0; i < n; i++)
        for (int oy = 0; oy < l->oh; oy++)
            for (int ox = 0; ox < l->ow; ox++)
                for (int c = 0; c < C; c++) {
                    size_t o = (size_t)i * osz + ((size_t)oy * l->ow + ox) * C + c;
                    float best = -INFINITY, sum = 0;
                    int arg = 0;
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int idx = ((oy * l->stride + ky) * l->iw + ox * l->stride + kx) * C + c;
                            float v = x[(size_t)i * isz + idx];
                            sum += v;
                            if (v > best) best = v, arg = idx;
                        }
                    if (l->op == TR_MAXPOOL) y[o] = best, l->argmax[o] = arg;
                    else y[o] = sum / (float)(k * k);
                }
}

static void pool_backward(tr_net *net, tr_layer *l, const float *dy, float *dx, int n) {
    int C = l->ic, k = l->k;
    size_t isz = tr_layer_in_size(l), osz = tr_layer_out_size(l);
#pragma omp parallel for num_threads(net->n_threads) schedule(static)
    for (int i = 0; i < n; i++) {
        float *dxi = dx + (size_t)i * isz;
        memset(dxi, 0, sizeof(float) * isz);
        for (size_t o = 0; o < osz; o++) {
            float d = dy[(size_t)i * osz + o];
            if (l->op == TR_MAXPOOL) { dxi[l->argmax[(size_t)i * osz + o]] += d; continue; }
            int c = (int)(o % C), p = (int)(o / C), oy = p / l->ow, ox = p % l->ow;
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++)
                    dxi[((oy * l->stride + ky) * l->iw + ox * l->stride + kx) * C + c] += d / (float)(k * k);
        }
    }
}

static void gap_forward(const tr_layer *l, const float *x, float *y, int n) {
    int C = l->ic, P = l->ih * l->iw;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < C; c++) {
            float s = 0;
            for (int p = 0; p < P; p++) s += x[((size_t)i * P + p) * C + c];
            y[(size_t)i * C + c] = s / (float)P;
        }
}

static void gap_backward(const tr_layer *l, const float *dy, float *dx, int n) {
    int C = l->ic, P = l->ih * l->iw;
    for (int i = 0; i < n; i++)
        for (int p = 0; p < P; p++)
            for (int c = 0; c < C; c++) dx[((size_t)i * P + p) * C + c] = dy[(size_t)i * C + c] / (float)P;
}

void tr_layer_forward(tr_net *net, int li, const float *x, float *y, int n) {
    tr_layer *l = &net->l[li];
    switch (l->op) {
    case TR_CONV: case TR_DWCONV: case TR_DENSE: tr_mac_forward(net, l, x, y, n); break;
    case TR_BN: bn_forward(net, l, x, y, n); break;
    case TR_RELU: case TR_RELU6: act_forward(net, l, x, y, n); break;
    case TR_MAXPOOL: case TR_AVGPOOL: pool_forward(net, l, x, y, n); break;
    case TR_GAP: gap_forward(l, x, y, n); break;
    }
}

/* dx may be NULL (the network input needs no gradient in training). */
void tr_layer_backward(tr_net *net, int li, const float *x, const float *dy, float *dx, int n) {
    tr_layer *l = &net->l[li];
    switch (l->op) {
    case TR_CONV: case TR_DWCONV: case TR_DENSE: tr_mac_backward(net, l, x, dy, dx, n); return;
    case TR_BN: bn_backward(net, l, x, dy, dx, n); return;
    default: break;
    }
    if (!dx) return;
    switch (l->op) {
    case TR_RELU: case TR_RELU6: act_backward(l, x, dy, dx, n); break;
    case TR_MAXPOOL: case TR_AVGPOOL: pool_backward(net, l, dy, dx, n); break;
    case TR_GAP: gap_backward(l, dy, dx, n); break;
    default: break;
    }
}
