/* The evaluation task: sentence polarity with a linear probe.
 *
 * Setup (fp32 only): embed the train split with the fp32 encoder, choose
 * the probe's lambda by 5-fold cross-validation on the train split, train
 * the probe on all of it, and embed the test split in fp32 (the reference
 * for cosine and agreement). Evaluation of a quantized encoder: embed the
 * test split with it and apply the same fp32-trained probe, so a change
 * in accuracy measures the quantization only. */
#include "models/bert/bert_task.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The lambda grid of the cross-validation (objective in probe.c). */
static const double LAMBDAS[] = {1e-2, 1e-3, 1e-4, 1e-5};
enum { CV_FOLDS = 5 };

void bert_task_free(bert_task *t) {
    bert_ids_free(&t->train);
    bert_ids_free(&t->test);
    free(t->ytrain), free(t->ytest), free(t->etrain), free(t->etest), free(t->pred32);
    free(t->test_index);
    bert_probe_free(&t->probe);
    memset(t, 0, sizeof *t);
}

/* Indices of one split; with 0 < limit < its size, `limit` of them evenly
 * spaced over it (the file lists all positive sentences first, so a prefix
 * would hold one class only). */
static int split_indices(const bert_dataset *d, int want_test, int limit, int *idx) {
    int k = 0;
    for (int i = 0; i < d->n; i++)
        if (d->is_test[i] == want_test) idx[k++] = i;
    if (limit <= 0 || limit >= k) return k;
    for (int j = 0; j < limit; j++) idx[j] = idx[(int)((long long)j * k / limit)];
    return limit;
}

static vsq_status take_split(const bert_dataset *d, const bert_ids *all, int want_test, int limit,
                             bert_ids *ids, int **labels, int **index) {
    int *idx = malloc(((size_t)d->n + 1) * sizeof *idx);
    if (!idx) return vsq_error(VSQ_ENOMEM, "task: out of memory");
    int k = split_indices(d, want_test, limit, idx);
    vsq_status st = k ? bert_ids_subset(all, idx, k, ids)
                      : vsq_error(VSQ_EINVAL, "task: the %s split is empty", want_test ? "test" : "train");
    *labels = st ? NULL : malloc((size_t)k * sizeof(int));
    if (!st && !*labels) st = vsq_error(VSQ_ENOMEM, "task: out of memory");
    for (int i = 0; !st && i < k; i++) (*labels)[i] = d->label[idx[i]];
    if (!st && index) *index = idx;
    else free(idx);
    return st;
}

static void predict_all(const bert_probe *p, const float *e, int n, int dim, int *pred) {
    for (int i = 0; i < n; i++) pred[i] = bert_probe_predict(p, e + (size_t)i * dim);
}

vsq_status bert_task_setup(bert_model *m, const bert_dataset *d, const bert_ids *all,
                           int train_limit, int test_limit, bert_task *t,
                           void (*progress)(size_t, size_t)) {
    memset(t, 0, sizeof *t);
    if (all->n != d->n)
        return vsq_error(VSQ_EINVAL, "task: %d tokenized sentences for %d labelled ones", all->n, d->n);
    int h = m->cfg.hidden;
    vsq_status st = take_split(d, all, 0, train_limit, &t->train, &t->ytrain, NULL);
    if (!st) st = take_split(d, all, 1, test_limit, &t->test, &t->ytest, &t->test_index);
    if (st) {
        bert_task_free(t);
        return st;
    }
    t->etrain = malloc((size_t)t->train.n * h * sizeof(float));
    t->etest = malloc((size_t)t->test.n * h * sizeof(float));
    t->pred32 = malloc((size_t)t->test.n * sizeof(int));
    if (!t->etrain || !t->etest || !t->pred32) st = vsq_error(VSQ_ENOMEM, "task: out of memory");
    struct bert_quant *saved = m->q;
    m->q = NULL; /* the probe and the reference are fp32 */
    if (!st) st = bert_embed(m, &t->train, 2048, t->etrain, progress);
    if (!st) st = bert_embed(m, &t->test, 2048, t->etest, progress);
    m->q = saved;
    if (!st)
        st = bert_probe_select_lambda(t->etrain, t->ytrain, t->train.n, h, CV_FOLDS, LAMBDAS,
                                      (int)(sizeof LAMBDAS / sizeof LAMBDAS[0]), &t->lambda, &t->cv_acc);
    if (!st) st = bert_probe_train(t->etrain, t->ytrain, t->train.n, h, t->lambda, &t->probe);
    if (st) {
        bert_task_free(t);
        return st;
    }
    predict_all(&t->probe, t->etest, t->test.n, h, t->pred32);
    int ok = 0, ok_train = 0;
    for (int i = 0; i < t->test.n; i++) ok += t->pred32[i] == t->ytest[i];
    for (int i = 0; i < t->train.n; i++)
        ok_train += bert_probe_predict(&t->probe, t->etrain + (size_t)i * h) == t->ytrain[i];
    t->correct32 = ok;
    t->train_acc = 100.0 * ok_train / t->train.n;
    return VSQ_OK;
}

void bert_task_score(const bert_task *t, const float *emb, int dim, bert_result *r) {
    int ok = 0, agree = 0;
    double cos = 0.0;
    for (int i = 0; i < t->test.n; i++) {
        const float *e = emb + (size_t)i * dim, *e0 = t->etest + (size_t)i * dim;
        int p = bert_probe_predict(&t->probe, e);
        ok += p == t->ytest[i];
        agree += p == t->pred32[i];
        double dot = 0.0, a = 0.0, b = 0.0;
        for (int k = 0; k < dim; k++) dot += (double)e[k] * e0[k], a += (double)e[k] * e[k], b += (double)e0[k] * e0[k];
        cos += a > 0 && b > 0 ? dot / sqrt(a * b) : 0.0;
    }
    r->n = t->test.n;
    r->correct = ok;
    r->accuracy = 100.0 * ok / t->test.n;
    bert_wilson95(ok, t->test.n, &r->ci_lo, &r->ci_hi);
    r->agreement = 100.0 * agree / t->test.n;
    r->cosine = cos / t->test.n;
}

vsq_status bert_task_eval(const bert_model *m, const bert_task *t, bert_result *r, float **emb_out,
                          void (*progress)(size_t, size_t)) {
    int h = m->cfg.hidden;
    float *emb = malloc((size_t)t->test.n * h * sizeof(float));
    if (!emb) return vsq_error(VSQ_ENOMEM, "task: out of memory");
    double t0 = omp_get_wtime();
    clock_t c0 = clock();
    vsq_status st = bert_embed(m, &t->test, 2048, emb, progress);
    double dt = omp_get_wtime() - t0;
    r->cpu_seconds = (double)(clock() - c0) / CLOCKS_PER_SEC;
    if (!st) {
        bert_task_score(t, emb, h, r);
        r->seconds = dt;
        r->sent_per_s = dt > 0 ? t->test.n / dt : 0.0;
    }
    if (!st && emb_out) *emb_out = emb;
    else free(emb);
    return st;
}
