/* Accuracy evaluation and static activation calibration over a cached
 * data set. Images run in parallel (one per thread, each with its own work
 * buffers); that keeps both cores busy without synchronising inside the
 * small per-layer GEMMs. */
#include "models/cnn/cnn.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rank of the true class: number of logits strictly larger than it. */
static int rank_of(const float *logits, int n, int label) {
    int r = 0;
    for (int i = 0; i < n; i++) r += logits[i] > logits[label];
    return r;
}

static int nthreads(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }

vsq_status cnn_evaluate(const cnn_model *m, const cnn_qcfg *q, const cnn_dataset *d, int begin,
                        int end, int threads, cnn_result *r, void (*progress)(size_t, size_t)) {
    memset(r, 0, sizeof *r);
    if (!d->pix || d->size != m->in_h || m->in_h != m->in_w || m->in_c != 3)
        return vsq_error(VSQ_EINVAL, "evaluate: images not cached at the model input size %dx%dx%d",
                         m->in_h, m->in_w, m->in_c);
    if (begin < 0 || end > d->n || begin >= end)
        return vsq_error(VSQ_EINVAL, "evaluate: image range [%d,%d) outside 0..%d", begin, end, d->n);
    size_t per = (size_t)d->size * d->size * 3;
    int top1 = 0, top5 = 0, done = 0;
    vsq_status st = VSQ_OK;
    char msg[600] = "";
    double t0 = omp_get_wtime();
#pragma omp parallel num_threads(nthreads(threads))
    {
        cnn_work w;
        float *logits = malloc((size_t)m->n_classes * sizeof(float));
        vsq_status s = cnn_work_alloc(m, &w);
        if (!s && !logits) s = vsq_error(VSQ_ENOMEM, "no memory for logits");
#pragma omp for schedule(dynamic, 1)
        for (int i = begin; i < end; i++) {
            if (!s) s = cnn_forward(m, q, &w, d->pix + per * i, logits, NULL, NULL);
            int rk = s ? m->n_classes : rank_of(logits, m->n_classes, d->label[i] % m->n_classes);
            if (!s && d->label[i] >= m->n_classes) rk = m->n_classes;
#pragma omp critical(cnn_eval)
            {
                top1 += rk < 1, top5 += rk < 5, done++;
                if (progress) progress((size_t)done, (size_t)(end - begin));
            }
        }
#pragma omp critical(cnn_eval)
        if (s && !st) st = s, snprintf(msg, sizeof msg, "%s", vsq_last_error());
        cnn_work_free(&w);
        free(logits);
    }
    if (st) return vsq_error(st, "%s", msg);
    r->n = end - begin;
    r->top1 = 100.0 * top1 / r->n;
    r->top5 = 100.0 * top5 / r->n;
    r->seconds = omp_get_wtime() - t0;
    r->images_per_s = r->n / (r->seconds > 0 ? r->seconds : 1e-9);
    return VSQ_OK;
}

/* ---- static calibration ---- */
typedef struct {
    const cnn_model *m;
    cnn_qcfg **qs;
    int nq;
    vsq_calibrator **cal; /* [layer][q] */
    omp_lock_t *locks;    /* one per layer */
    vsq_status st;
} calib_ctx;

static void observe(void *vctx, int layer, const float *x, size_t n) {
    calib_ctx *c = vctx;
    omp_set_lock(&c->locks[layer]);
    for (int j = 0; j < c->nq; j++) {
        vsq_calibrator *cal = c->cal[(size_t)layer * c->nq + j];
        if (cal && vsq_calibrator_observe(cal, x, n) != VSQ_OK && !c->st) c->st = VSQ_EINVAL;
    }
    omp_unset_lock(&c->locks[layer]);
}

static vsq_status make_calibrators(calib_ctx *c) {
    for (int i = 0; i < c->m->n; i++)
        for (int j = 0; j < c->nq; j++) {
            cnn_qcfg *q = c->qs[j];
            if (!q->quant_a || !q->a_static || !cnn_layer_quantized(q, c->m, i)) continue;
            vsq_format f = cnn_act_format(q, &c->m->l[i]);
            c->cal[(size_t)i * c->nq + j] = vsq_calibrator_new(&f);
            if (!c->cal[(size_t)i * c->nq + j])
                return vsq_error(VSQ_ENOMEM, "cannot create a calibrator for layer %s", c->m->l[i].name);
        }
    return VSQ_OK;
}

static vsq_status read_alphas(calib_ctx *c) {
    for (int j = 0; j < c->nq; j++) {
        cnn_qcfg *q = c->qs[j];
        if (!q->quant_a || !q->a_static) continue;
        free(q->alpha);
        q->alpha = calloc((size_t)c->m->n, sizeof(float));
        if (!q->alpha) return vsq_error(VSQ_ENOMEM, "no memory for activation scales");
        for (int i = 0; i < c->m->n; i++) {
            vsq_calibrator *cal = c->cal[(size_t)i * c->nq + j];
            vsq_status st = cal ? vsq_calibrator_alpha(cal, &q->alpha[i]) : VSQ_OK;
            if (st) return vsq_error(st, "layer %s calibration: %s", c->m->l[i].name, vsq_last_error());
        }
    }
    return VSQ_OK;
}

vsq_status cnn_calibrate_many(const cnn_model *m, cnn_qcfg **qs, int nq, const cnn_dataset *d,
                              int begin, int end, int threads, void (*progress)(size_t, size_t)) {
    if (begin < 0 || end > d->n || begin >= end)
        return vsq_error(VSQ_EINVAL, "calibration: image range [%d,%d) outside 0..%d", begin, end, d->n);
    calib_ctx c = {.m = m, .qs = qs, .nq = nq};
    c.cal = calloc((size_t)m->n * nq, sizeof *c.cal);
    c.locks = malloc((size_t)m->n * sizeof *c.locks);
    if (!c.cal || !c.locks) { free(c.cal); free(c.locks); return vsq_error(VSQ_ENOMEM, "no memory for calibrators"); }
    for (int i = 0; i < m->n; i++) omp_init_lock(&c.locks[i]);
    vsq_status st = make_calibrators(&c);
    size_t per = (size_t)d->size * d->size * 3;
    int done = 0;
    if (!st) {
#pragma omp parallel num_threads(nthreads(threads))
        {
            cnn_work w;
            float *logits = malloc((size_t)m->n_classes * sizeof(float));
            vsq_status s = cnn_work_alloc(m, &w);
#pragma omp for schedule(dynamic, 1)
            for (int i = begin; i < end; i++) {
                if (!s && logits) s = cnn_forward(m, NULL, &w, d->pix + per * i, logits, observe, &c);
#pragma omp critical(cnn_calib)
                if (progress) progress((size_t)++done, (size_t)(end - begin));
            }
#pragma omp critical(cnn_calib)
            if ((s || !logits) && !st) st = s ? s : VSQ_ENOMEM;
            cnn_work_free(&w);
            free(logits);
        }
        if (!st && c.st) st = vsq_error(c.st, "calibration: a calibrator rejected its data");
    }
    if (!st) st = read_alphas(&c);
    for (size_t i = 0; i < (size_t)m->n * nq; i++)
        if (c.cal[i]) vsq_calibrator_free(c.cal[i]);
    for (int i = 0; i < m->n; i++) omp_destroy_lock(&c.locks[i]);
    free(c.cal);
    free(c.locks);
    return st;
}

vsq_status cnn_calibrate(const cnn_model *m, cnn_qcfg *q, const cnn_dataset *d, int begin,
                         int end, int threads, void (*progress)(size_t, size_t)) {
    return cnn_calibrate_many(m, &q, 1, d, begin, end, threads, progress);
}
