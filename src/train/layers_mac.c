/* Forward and backward of the MAC layers (Conv2D via im2col + GEMM,
 * depthwise Conv2D, Dense) for a mini-batch in NHWC.
 *
 * Images are split statically over threads; weight gradients go to the
 * thread's own buffer (net->tgrads + t * n_params), summed in thread order
 * by tr_net_backward. */
#include <omp.h>
#include <string.h>

#include "train/layers_internal.h"

/* Weights as used by this step: fake-quantized in QAT, else the parameters. */
const float *tr_layer_weights(const tr_net *net, const tr_layer *l) {
    return l->wq ? l->wq : net->params + l->w_off;
}

/* wt[k][o] = W[o][k]: the GEMM's B operand (conv, dense) or the
 * tap-major depthwise kernel. */
void tr_transpose_weights(const tr_net *net, tr_layer *l) {
    const float *w = tr_layer_weights(net, l);
    int rows = l->op == TR_DWCONV ? l->ic : l->oc;
    int cols = (int)(l->nw / (size_t)rows);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) l->wt[(size_t)c * rows + r] = w[(size_t)r * cols + c];
}

/* col[p][(ky*k + kx)*ic + c] = x[iy][ix][c], zero outside the image. */
static void im2col(const tr_layer *l, const float *x, float *col) {
    int k = l->k, K = k * k * l->ic;
    for (int oy = 0; oy < l->oh; oy++)
        for (int ox = 0; ox < l->ow; ox++) {
            float *row = col + ((size_t)oy * l->ow + ox) * K;
            for (int ky = 0; ky < k; ky++) {
                int iy = oy * l->stride - l->pad + ky;
                for (int kx = 0; kx < k; kx++) {
                    int ix = ox * l->stride - l->pad + kx;
                    float *dst = row + (ky * k + kx) * l->ic;
                    if (iy < 0 || iy >= l->ih || ix < 0 || ix >= l->iw)
                        memset(dst, 0, sizeof(float) * l->ic);
                    else
                        memcpy(dst, x + ((size_t)iy * l->iw + ix) * l->ic, sizeof(float) * l->ic);
                }
            }
        }
}

/* The adjoint of im2col: dx[iy][ix][c] += dcol[p][tap*ic + c]. */
static void col2im(const tr_layer *l, const float *dcol, float *dx) {
    int k = l->k, K = k * k * l->ic;
    memset(dx, 0, sizeof(float) * tr_layer_in_size(l));
    for (int oy = 0; oy < l->oh; oy++)
        for (int ox = 0; ox < l->ow; ox++) {
            const float *row = dcol + ((size_t)oy * l->ow + ox) * K;
            for (int ky = 0; ky < k; ky++) {
                int iy = oy * l->stride - l->pad + ky;
                if (iy < 0 || iy >= l->ih) continue;
                for (int kx = 0; kx < k; kx++) {
                    int ix = ox * l->stride - l->pad + kx;
                    if (ix < 0 || ix >= l->iw) continue;
                    float *d = dx + ((size_t)iy * l->iw + ix) * l->ic;
                    const float *s = row + (ky * k + kx) * l->ic;
                    for (int c = 0; c < l->ic; c++) d[c] += s[c];
                }
            }
        }
}

static int is_pointwise(const tr_layer *l) { return l->k == 1 && l->stride == 1 && l->pad == 0; }

static void conv_forward(tr_net *net, tr_layer *l, const float *x, float *y, int n) {
    int P = l->oh * l->ow, K = l->k * l->k * l->ic, oc = l->oc;
    const float *b = net->params + l->b_off;
    size_t isz = tr_layer_in_size(l), osz = tr_layer_out_size(l);
#pragma omp parallel num_threads(net->n_threads)
    {
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        float *col = net->scratch + (size_t)t * net->scratch_per_thread;
        for (int i = n * t / T; i < n * (t + 1) / T; i++) {
            const float *xi = x + (size_t)i * isz;
            float *yi = y + (size_t)i * osz;
            if (!is_pointwise(l)) im2col(l, xi, col);
            for (int p = 0; p < P; p++) memcpy(yi + (size_t)p * oc, b, sizeof(float) * oc);
            tr_gemm_nn(P, oc, K, is_pointwise(l) ? xi : col, K, l->wt, oc, yi, oc);
        }
    }
}

static void conv_backward(tr_net *net, tr_layer *l, const float *x, const float *dy, float *dx,
                          int n) {
    int P = l->oh * l->ow, K = l->k * l->k * l->ic, oc = l->oc;
    const float *w = tr_layer_weights(net, l);
    size_t isz = tr_layer_in_size(l), osz = tr_layer_out_size(l);
#pragma omp parallel num_threads(net->n_threads)
    {
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        float *col = net->scratch + (size_t)t * net->scratch_per_thread;
        float *dcol = col + net->scratch_per_thread / 2;
        float *g = net->tgrads + (size_t)t * net->n_params;
        for (int i = n * t / T; i < n * (t + 1) / T; i++) {
            const float *xi = x + (size_t)i * isz, *dyi = dy + (size_t)i * osz;
            const float *a = xi;
            if (!is_pointwise(l)) im2col(l, xi, col), a = col;
            tr_gemm_tn(P, oc, K, dyi, oc, a, K, g + l->w_off, K);
            for (int p = 0; p < P; p++)
                for (int o = 0; o < oc; o++) g[l->b_off + o] += dyi[(size_t)p * oc + o];
            if (!dx) continue;
            float *dxi = dx + (size_t)i * isz;
            if (is_pointwise(l)) {
                memset(dxi, 0, sizeof(float) * isz);
                tr_gemm_nn(P, K, oc, dyi, oc, w, K, dxi, K);
            } else {
                memset(dcol, 0, sizeof(float) * (size_t)P * K);
                tr_gemm_nn(P, K, oc, dyi, oc, w, K, dcol, K);
                col2im(l, dcol, dxi);
            }
        }
    }
}

/* Depthwise: y[oy][ox][c] = b[c] + sum_tap x[iy][ix][c] * wt[tap][c]. */
static void dw_forward(tr_net *net, tr_layer *l, const float *x, float *y, int n) {
    int C = l->ic, k = l->k;
    const float *b = net->params + l->b_off;
    size_t isz = tr_layer_in_size(l), osz = tr_layer_out_size(l);
#pragma omp parallel for num_threads(net->n_threads) schedule(static)
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * isz;
        for (int oy = 0; oy < l->oh; oy++)
            for (int ox = 0; ox < l->ow; ox++) {
                float *yo = y + (size_t)i * osz + ((size_t)oy * l->ow + ox) * C;
                memcpy(yo, b, sizeof(float) * C);
                for (int ky = 0; ky < k; ky++) {
                    int iy = oy * l->stride - l->pad + ky;
                    if (iy < 0 || iy >= l->ih) continue;
                    for (int kx = 0; kx < k; kx++) {
                        int ix = ox * l->stride - l->pad + kx;
                        if (ix < 0 || ix >= l->iw) continue;
                        const float *xv = xi + ((size_t)iy * l->iw + ix) * C;
                        const float *wv = l->wt + (size_t)(ky * k + kx) * C;
                        for (int c = 0; c < C; c++) yo[c] += xv[c] * wv[c];
                    }
                }
            }
    }
}

static void dw_backward(tr_net *net, tr_layer *l, const float *x, const float *dy, float *dx,
                        int n) {
    int C = l->ic, k = l->k, taps = k * k;
    size_t isz = tr_layer_in_size(l), osz = tr_layer_out_size(l);
#pragma omp parallel num_threads(net->n_threads)
    {
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        float *dwt = net->scratch + (size_t)t * net->scratch_per_thread; /* [tap][c] */
        float *g = net->tgrads + (size_t)t * net->n_params;
        memset(dwt, 0, sizeof(float) * (size_t)taps * C);
        for (int i = n * t / T; i < n * (t + 1) / T; i++) {
            const float *xi = x + (size_t)i * isz;
            float *dxi = dx ? dx + (size_t)i * isz : NULL;
            if (dxi) memset(dxi, 0, sizeof(float) * isz);
            for (int oy = 0; oy < l->oh; oy++)
                for (int ox = 0; ox < l->ow; ox++) {
                    const float *d = dy + (size_t)i * osz + ((size_t)oy * l->ow + ox) * C;
                    for (int c = 0; c < C; c++) g[l->b_off + c] += d[c];
                    for (int ky = 0; ky < k; ky++) {
                        int iy = oy * l->stride - l->pad + ky;
                        if (iy < 0 || iy >= l->ih) continue;
                        for (int kx = 0; kx < k; kx++) {
                            int ix = ox * l->stride - l->pad + kx;
                            if (ix < 0 || ix >= l->iw) continue;
                            size_t off = ((size_t)iy * l->iw + ix) * C;
                            int tap = ky * k + kx;
                            float *gw = dwt + (size_t)tap * C;
                            const float *xv = xi + off, *wv = l->wt + (size_t)tap * C;
                            for (int c = 0; c < C; c++) gw[c] += d[c] * xv[c];
                            if (dxi)
                                for (int c = 0; c < C; c++) dxi[off + c] += d[c] * wv[c];
                        }
                    }
                }
        }
        for (int c = 0; c < C; c++)
            for (int tap = 0; tap < taps; tap++)
                g[l->w_off + (size_t)c * taps + tap] += dwt[(size_t)tap * C + c];
    }
}

static void dense_forward(tr_net *net, tr_layer *l, const float *x, float *y, int n) {
    int K = l->ih * l->iw * l->ic, oc = l->oc;
    const float *b = net->params + l->b_off;
    for (int i = 0; i < n; i++) memcpy(y + (size_t)i * oc, b, sizeof(float) * oc);
#pragma omp parallel num_threads(net->n_threads)
    {
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        int i0 = n * t / T, i1 = n * (t + 1) / T;
        tr_gemm_nn(i1 - i0, oc, K, x + (size_t)i0 * K, K, l->wt, oc, y + (size_t)i0 * oc, oc);
    }
}

static void dense_backward(tr_net *net, tr_layer *l, const float *x, const float *dy, float *dx,
                           int n) {
    int K = l->ih * l->iw * l->ic, oc = l->oc;
    const float *w = tr_layer_weights(net, l);
#pragma omp parallel num_threads(net->n_threads)
    {
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        int i0 = n * t / T, i1 = n * (t + 1) / T;
        float *g = net->tgrads + (size_t)t * net->n_params;
        tr_gemm_tn(i1 - i0, oc, K, dy + (size_t)i0 * oc, oc, x + (size_t)i0 * K, K, g + l->w_off, K);
        for (int i = i0; i < i1; i++)
            for (int o = 0; o < oc; o++) g[l->b_off + o] += dy[(size_t)i * oc + o];
        if (dx) {
            memset(dx + (size_t)i0 * K, 0, sizeof(float) * (size_t)(i1 - i0) * K);
            tr_gemm_nn(i1 - i0, K, oc, dy + (size_t)i0 * oc, oc, w, K, dx + (size_t)i0 * K, K);
        }
    }
}

void tr_mac_forward(tr_net *net, tr_layer *l, const float *x, float *y, int n) {
    tr_transpose_weights(net, l);
    if (l->op == TR_CONV) conv_forward(net, l, x, y, n);
    else if (l->op == TR_DWCONV) dw_forward(net, l, x, y, n);
    else dense_forward(net, l, x, y, n);
}

void tr_mac_backward(tr_net *net, tr_layer *l, const float *x, const float *dy, float *dx, int n) {
    if (l->op == TR_CONV) conv_backward(net, l, x, dy, dx, n);
    else if (l->op == TR_DWCONV) dw_backward(net, l, x, dy, dx, n);
    else dense_backward(net, l, x, dy, dx, n);
}
