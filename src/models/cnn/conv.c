/* NHWC convolution helpers: im2col for Conv2D (fed to cnn_sgemm_nt),
 * direct depthwise convolution, and the small ops (pad, pooling, softmax). */
#include "models/cnn/cnn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* col[pixel][(ky, kx, ci)] over the channels [g*cg, (g+1)*cg) of group g,
 * zeros where the (dilated) window leaves the image (Keras "same" padding
 * puts the odd row/column at the bottom/right). */
void cnn_im2col_group(const cnn_layer *l, const float *x, int g, float *col) {
    int cg = l->cin / l->groups;
    size_t row_len = (size_t)l->kw * cg;
    for (int oy = 0; oy < l->oh; oy++)
        for (int ox = 0; ox < l->ow; ox++) {
            float *dst = col + ((size_t)oy * l->ow + ox) * l->k;
            for (int ky = 0; ky < l->kh; ky++) {
                int iy = oy * l->sh - l->pt + ky * l->dh;
                float *d = dst + ky * row_len;
                if (iy < 0 || iy >= l->ih) { memset(d, 0, row_len * sizeof(float)); continue; }
                for (int kx = 0; kx < l->kw; kx++) {
                    int ix = ox * l->sw - l->pl + kx * l->dw;
                    if (ix < 0 || ix >= l->iw) memset(d + kx * cg, 0, cg * sizeof(float));
                    else memcpy(d + kx * cg, x + ((size_t)iy * l->iw + ix) * l->cin + (size_t)g * cg, cg * sizeof(float));
                }
            }
        }
}

void cnn_im2col(const cnn_layer *l, const float *x, float *col) { cnn_im2col_group(l, x, 0, col); }

/* Depthwise windows: col[(pixel * C + c)][(ky, kx)] - the reduction of one
 * output value, i.e. the VS-Quant vector of a depthwise layer. */
void cnn_dw_im2col(const cnn_layer *l, const float *x, float *col) {
    int taps = l->kh * l->kw, c = l->cin;
    for (int oy = 0; oy < l->oh; oy++)
        for (int ox = 0; ox < l->ow; ox++) {
            float *dst = col + ((size_t)oy * l->ow + ox) * c * taps;
            for (int t = 0; t < taps; t++) {
                int iy = oy * l->sh - l->pt + t / l->kw * l->dh, ix = ox * l->sw - l->pl + t % l->kw * l->dw;
                int in = iy >= 0 && iy < l->ih && ix >= 0 && ix < l->iw;
                const float *src = x + ((size_t)iy * l->iw + ix) * c;
                for (int ch = 0; ch < c; ch++) dst[(size_t)ch * taps + t] = in ? src[ch] : 0.0f;
            }
        }
}

void cnn_dwconv_col(const cnn_layer *l, const float *col, const float *w, float *y) {
    int taps = l->k, c = l->cin;
    size_t pix = (size_t)l->oh * l->ow;
    for (size_t p = 0; p < pix; p++)
        for (int ch = 0; ch < c; ch++) {
            const float *v = col + (p * c + ch) * taps, *wc = w + (size_t)ch * taps;
            float s = l->b[ch];
            for (int t = 0; t < taps; t++) s += v[t] * wc[t];
            y[p * c + ch] = s;
        }
}

/* Direct depthwise: inner loop over channels (contiguous in NHWC), with the
 * weights transposed to [tap][c] so it vectorizes. */
void cnn_dwconv(const cnn_layer *l, const float *x, const float *w, float *y) {
    int taps = l->kh * l->kw, c = l->cin;
    float *wt = malloc((size_t)taps * c * sizeof(float));
    if (!wt) abort();
    for (int ch = 0; ch < c; ch++)
        for (int t = 0; t < taps; t++) wt[(size_t)t * c + ch] = w[(size_t)ch * taps + t];
    for (int oy = 0; oy < l->oh; oy++)
        for (int ox = 0; ox < l->ow; ox++) {
            float *dst = y + ((size_t)oy * l->ow + ox) * c;
            memcpy(dst, l->b, c * sizeof(float));
            for (int t = 0; t < taps; t++) {
                int iy = oy * l->sh - l->pt + t / l->kw * l->dh, ix = ox * l->sw - l->pl + t % l->kw * l->dw;
                if (iy < 0 || iy >= l->ih || ix < 0 || ix >= l->iw) continue;
                const float *src = x + ((size_t)iy * l->iw + ix) * c, *wr = wt + (size_t)t * c;
                for (int ch = 0; ch < c; ch++) dst[ch] += src[ch] * wr[ch];
            }
        }
    free(wt);
}

/* Constant padding with value l->lo (0 for Keras ZeroPadding2D). */
void cnn_pad(const cnn_layer *l, const float *x, float *y) {
    size_t n = (size_t)l->oh * l->ow * l->cout;
    if (l->lo == 0.0f) memset(y, 0, n * sizeof(float));
    else for (size_t j = 0; j < n; j++) y[j] = l->lo;
    for (int iy = 0; iy < l->ih; iy++)
        memcpy(y + ((size_t)(iy + l->pt) * l->ow + l->pl) * l->cout, x + (size_t)iy * l->iw * l->cin,
               (size_t)l->iw * l->cin * sizeof(float));
}

void cnn_gap(const cnn_layer *l, const float *x, float *y) {
    size_t pix = (size_t)l->ih * l->iw;
    for (int ch = 0; ch < l->cin; ch++) y[ch] = 0;
    for (size_t p = 0; p < pix; p++)
        for (int ch = 0; ch < l->cin; ch++) y[ch] += x[p * l->cin + ch];
    for (int ch = 0; ch < l->cin; ch++) y[ch] /= (float)pix;
}

void cnn_softmax(float *x, int n) {
    float mx = x[0], s = 0;
    for (int i = 1; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    for (int i = 0; i < n; i++) s += x[i] = expf(x[i] - mx);
    for (int i = 0; i < n; i++) x[i] /= s;
}
