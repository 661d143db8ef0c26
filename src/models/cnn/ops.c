/* The graph's non-MAC operators on HWC tensors: pooling, elementwise
 * unary / binary ops (with ONNX broadcasting of a 1x1xC or 1x1x1 second
 * operand), channel concatenation, per-channel affine and the CHW-order
 * flatten that ONNX's Flatten / Reshape of an NCHW tensor means. */
#include "models/cnn/cnn.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* Max or average over each (possibly padded) window; padded cells never win
 * a max and count in a mean only with count_include_pad. */
void cnn_pool(const cnn_layer *l, const float *x, float *y) {
    int c = l->cin, is_max = l->op == CNN_MAXPOOL;
    for (int oy = 0; oy < l->oh; oy++)
        for (int ox = 0; ox < l->ow; ox++) {
            float *dst = y + ((size_t)oy * l->ow + ox) * c;
            for (int ch = 0; ch < c; ch++) dst[ch] = is_max ? -FLT_MAX : 0.0f;
            int cells = 0;
            for (int ky = 0; ky < l->kh; ky++)
                for (int kx = 0; kx < l->kw; kx++) {
                    int iy = oy * l->sh - l->pt + ky, ix = ox * l->sw - l->pl + kx;
                    int inside = iy >= 0 && iy < l->ih && ix >= 0 && ix < l->iw;
                    /* ONNX counts padding cells but not cells past it (ceil_mode) */
                    int padded = iy >= -l->pt && iy < l->ih + l->pb && ix >= -l->pl && ix < l->iw + l->pr;
                    cells += inside || (l->count_pad && padded);
                    if (!inside) continue;
                    const float *src = x + ((size_t)iy * l->iw + ix) * c;
                    for (int ch = 0; ch < c; ch++)
                        dst[ch] = is_max ? (src[ch] > dst[ch] ? src[ch] : dst[ch]) : dst[ch] + src[ch];
                }
            if (!is_max)
                for (int ch = 0; ch < c; ch++) dst[ch] = cells ? dst[ch] / (float)cells : 0.0f;
        }
}

/* y = a (+ or *) b, where b has a's shape, or 1x1xC, or 1x1x1. */
void cnn_binary(const cnn_layer *l, const cnn_tensor *a, const cnn_tensor *b, const float *xa,
                const float *xb, float *y) {
    size_t pix = (size_t)a->h * a->w, c = (size_t)a->c;
    size_t bpix = (size_t)b->h * b->w == pix ? 1 : 0, bc = b->c == a->c ? 1 : 0;
    int add = l->op == CNN_ADD;
    for (size_t p = 0; p < pix; p++)
        for (size_t ch = 0; ch < c; ch++) {
            float u = xa[p * c + ch], v = xb[p * bpix * b->c + ch * bc];
            y[p * c + ch] = add ? u + v : u * v;
        }
}

void cnn_concat(const cnn_model *m, const cnn_layer *l, float *const *xs, float *y) {
    size_t pix = (size_t)l->oh * l->ow, off = 0;
    for (int j = 0; j < l->n_in; j++) {
        size_t cj = (size_t)m->t[l->in[j]].c;
        for (size_t p = 0; p < pix; p++) memcpy(y + p * l->cout + off, xs[j] + p * cj, cj * sizeof(float));
        off += cj;
    }
}

void cnn_affine(const cnn_layer *l, const float *x, float *y) {
    size_t pix = (size_t)l->ih * l->iw, c = (size_t)l->cin;
    for (size_t p = 0; p < pix; p++)
        for (size_t ch = 0; ch < c; ch++) y[p * c + ch] = x[p * c + ch] * l->w[ch] + l->b[ch];
}

/* HWC -> CHW order (x != y unless H*W == 1, where it is a copy). */
void cnn_flatten(const cnn_layer *l, const float *x, float *y) {
    size_t pix = (size_t)l->ih * l->iw, c = (size_t)l->cin;
    if (pix == 1) {
        if (x != y) memcpy(y, x, c * sizeof(float));
        return;
    }
    for (size_t p = 0; p < pix; p++)
        for (size_t ch = 0; ch < c; ch++) y[ch * pix + p] = x[p * c + ch];
}

void cnn_clip(const float *x, float *y, size_t n, float lo, float hi) {
    for (size_t j = 0; j < n; j++) y[j] = x[j] < lo ? lo : (x[j] > hi ? hi : x[j]);
}

void cnn_sigmoid(const float *x, float *y, size_t n) {
    for (size_t j = 0; j < n; j++) y[j] = 1.0f / (1.0f + expf(-x[j]));
}
