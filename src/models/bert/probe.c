/* The linear probe: L2-regularised logistic regression on sentence
 * embeddings, trained by Newton's method (equivalently IRLS).
 *
 *   J(w, b) = (1/n) sum_i [log(1 + e^z_i) - y_i z_i] + lambda/2 |w|^2,
 *   z_i = w.x_i + b  (the bias is not penalised)
 *   g = (1/n) X~^T (p - y) + lambda [w; 0]
 *   H = (1/n) X~^T diag(p (1 - p)) X~ + lambda diag(1, .., 1, 0)
 *
 * Each step solves H d = g by Cholesky (in double) and backtracks (halving
 * the step, at most 30 times) until J decreases; it stops when the largest
 * gradient component is below 1e-9, or after 100 steps. Everything is in a
 * fixed order, so the result is deterministic. J is strictly convex for
 * lambda > 0, so the optimum is unique and Newton converges quadratically
 * (a handful of steps on the embeddings). */
#include "models/bert/bert.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_STEPS = 100, MAX_HALVINGS = 30 };
#define GRAD_TOL 1e-9

/* log(1 + e^z) without overflow. */
static double softplus(double z) { return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)); }
static double sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z)); }

static double objective(const float *x, const int *y, int n, int d, const double *w, double lambda) {
    double j = 0.0, r = 0.0;
    for (int i = 0; i < n; i++) {
        double z = w[d];
        for (int k = 0; k < d; k++) z += w[k] * x[(size_t)i * d + k];
        j += softplus(z) - y[i] * z;
    }
    for (int k = 0; k < d; k++) r += w[k] * w[k];
    return j / n + 0.5 * lambda * r;
}

/* Gradient g (d+1) and Hessian h ((d+1)^2) at w (last entry = bias). */
static void grad_hess(const float *x, const int *y, int n, int d, const double *w, double lambda,
                      double *g, double *h) {
    int D = d + 1;
    memset(g, 0, (size_t)D * sizeof *g);
    memset(h, 0, (size_t)D * D * sizeof *h);
    double *xi = malloc((size_t)D * sizeof *xi);
    for (int i = 0; xi && i < n; i++) {
        for (int k = 0; k < d; k++) xi[k] = x[(size_t)i * d + k];
        xi[d] = 1.0;
        double z = 0.0;
        for (int k = 0; k < D; k++) z += w[k] * xi[k];
        double p = sigmoid(z), r = p - y[i], s = p * (1.0 - p);
        for (int a = 0; a < D; a++) {
            g[a] += r * xi[a];
            double sa = s * xi[a];
            for (int b = a; b < D; b++) h[(size_t)a * D + b] += sa * xi[b];
        }
    }
    free(xi);
    for (int a = 0; a < D; a++) {
        g[a] = g[a] / n + (a < d ? lambda * w[a] : 0.0);
        for (int b = a; b < D; b++) {
            double v = h[(size_t)a * D + b] / n + (a == b && a < d ? lambda : 0.0);
            h[(size_t)a * D + b] = h[(size_t)b * D + a] = v;
        }
    }
}

/* Solve H d = g by Cholesky (H overwritten); a tiny ridge is added when
 * H is numerically singular (p(1-p) underflowing on separable data). */
static int solve_spd(double *h, const double *g, double *out, int D) {
    for (int j = 0; j < D; j++) {
        double s = h[(size_t)j * D + j];
        for (int k = 0; k < j; k++) s -= h[(size_t)j * D + k] * h[(size_t)j * D + k];
        if (!(s > 1e-300)) return -1;
        double l = sqrt(s);
        h[(size_t)j * D + j] = l;
        for (int i = j + 1; i < D; i++) {
            double t = h[(size_t)i * D + j];
            for (int k = 0; k < j; k++) t -= h[(size_t)i * D + k] * h[(size_t)j * D + k];
            h[(size_t)i * D + j] = t / l;
        }
    }
    for (int i = 0; i < D; i++) { /* L z = g */
        double t = g[i];
        for (int k = 0; k < i; k++) t -= h[(size_t)i * D + k] * out[k];
        out[i] = t / h[(size_t)i * D + i];
    }
    for (int i = D - 1; i >= 0; i--) { /* L^T d = z */
        double t = out[i];
        for (int k = i + 1; k < D; k++) t -= h[(size_t)k * D + i] * out[k];
        out[i] = t / h[(size_t)i * D + i];
    }
    return 0;
}

static double max_abs(const double *v, int n) {
    double m = 0.0;
    for (int i = 0; i < n; i++) m = fabs(v[i]) > m ? fabs(v[i]) : m;
    return m;
}

vsq_status bert_probe_train(const float *x, const int *y, int n, int d, double lambda,
                            bert_probe *p) {
    memset(p, 0, sizeof *p);
    if (n < 1 || d < 1 || !(lambda >= 0.0))
        return vsq_error(VSQ_EINVAL, "probe: need n >= 1, dim >= 1, lambda >= 0 (got %d, %d, %g)", n, d, lambda);
    int D = d + 1;
    double *w = calloc((size_t)D, sizeof *w), *g = malloc((size_t)D * sizeof *g);
    double *h = malloc((size_t)D * D * sizeof *h), *step = malloc((size_t)D * sizeof *step);
    double *trial = malloc((size_t)D * sizeof *trial);
    if (!w || !g || !h || !step || !trial) {
        free(w), free(g), free(h), free(step), free(trial);
        return vsq_error(VSQ_ENOMEM, "probe: out of memory (dim %d)", d);
    }
    double j = objective(x, y, n, d, w, lambda);
    int it = 0;
    for (; it < MAX_STEPS; it++) {
        grad_hess(x, y, n, d, w, lambda, g, h);
        if (max_abs(g, D) < GRAD_TOL) break;
        if (solve_spd(h, g, step, D)) {
            for (int k = 0; k < D; k++) step[k] = g[k]; /* singular: gradient step */
        }
        double t = 1.0, jt = j;
        for (int s = 0; s < MAX_HALVINGS; s++, t *= 0.5) {
            for (int k = 0; k < D; k++) trial[k] = w[k] - t * step[k];
            jt = objective(x, y, n, d, trial, lambda);
            if (jt <= j) break;
        }
        if (!(jt <= j)) break; /* no decrease possible in double: converged */
        memcpy(w, trial, (size_t)D * sizeof *w);
        j = jt;
    }
    grad_hess(x, y, n, d, w, lambda, g, h);
    p->dim = d;
    p->w = w;
    p->b = w[d];
    p->lambda = lambda;
    p->iters = it;
    p->grad_norm = max_abs(g, D);
    free(g), free(h), free(step), free(trial);
    return VSQ_OK;
}

int bert_probe_predict(const bert_probe *p, const float *x) {
    double z = p->b;
    for (int k = 0; k < p->dim; k++) z += p->w[k] * x[k];
    return z > 0.0;
}

void bert_probe_free(bert_probe *p) {
    free(p->w);
    memset(p, 0, sizeof *p);
}

/* Fold f of k: sentences i with i % k == f are held out. */
vsq_status bert_probe_select_lambda(const float *x, const int *y, int n, int d, int folds,
                                    const double *grid, int n_grid, double *best, double *cv_acc) {
    if (folds < 2 || folds > n || n_grid < 1)
        return vsq_error(VSQ_EINVAL, "probe: %d folds over %d examples, %d lambdas", folds, n, n_grid);
    float *xt = malloc((size_t)n * d * sizeof *xt);
    int *yt = malloc((size_t)n * sizeof *yt);
    if (!xt || !yt) {
        free(xt), free(yt);
        return vsq_error(VSQ_ENOMEM, "probe: out of memory");
    }
    vsq_status st = VSQ_OK;
    double best_acc = -1.0;
    for (int gi = 0; gi < n_grid && !st; gi++) {
        int correct = 0;
        for (int f = 0; f < folds && !st; f++) {
            int m = 0;
            for (int i = 0; i < n; i++)
                if (i % folds != f) {
                    memcpy(xt + (size_t)m * d, x + (size_t)i * d, (size_t)d * sizeof *xt);
                    yt[m++] = y[i];
                }
            bert_probe p;
            if ((st = bert_probe_train(xt, yt, m, d, grid[gi], &p))) break;
            for (int i = f; i < n; i += folds) correct += bert_probe_predict(&p, x + (size_t)i * d) == y[i];
            bert_probe_free(&p);
        }
        double acc = 100.0 * correct / n;
        if (acc > best_acc) { /* ties keep the earlier (listed first) lambda */
            best_acc = acc;
            *best = grid[gi];
        }
    }
    if (cv_acc) *cv_acc = best_acc;
    free(xt), free(yt);
    return st;
}

void bert_wilson95(int k, int n, double *lo, double *hi) {
    const double z = 1.959963984540054;
    if (n <= 0) {
        *lo = 0.0, *hi = 100.0;
        return;
    }
    double p = (double)k / n, z2 = z * z, den = 1.0 + z2 / n;
    double c = (p + z2 / (2.0 * n)) / den;
    double h = z * sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / den;
    *lo = 100.0 * (c - h);
    *hi = 100.0 * (c + h);
}
