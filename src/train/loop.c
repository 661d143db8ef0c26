/* Mini-batch training loop, evaluation, SGD with momentum and weight
 * decay, and the cosine learning-rate schedule. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "train/layers_internal.h"

/* Fashion-MNIST training-set pixel mean and standard deviation. */
#define FMNIST_MEAN 0.2860f
#define FMNIST_STD 0.3530f

void tr_image_to_float(const tr_dataset *d, int i, float *out) {
    const uint8_t *p = d->pixels + (size_t)i * d->h * d->w;
    for (int j = 0; j < d->h * d->w; j++) out[j] = (p[j] / 255.0f - FMNIST_MEAN) / FMNIST_STD;
}

double tr_cosine_lr(double lr0, long step, long total) {
    if (total <= 0) return lr0;
    return 0.5 * lr0 * (1.0 + cos(3.141592653589793 * (double)step / (double)total));
}

/* v = momentum*v + g + wd*w (decay on MAC weights only), w -= lr*v. */
void tr_sgd_step(tr_net *net, const tr_sgd *o, double lr) {
    for (int i = 0; i < net->n; i++) {
        tr_layer *l = &net->l[i];
        if (l->folded) continue;
        for (size_t j = l->w_off; j < l->w_off + l->nw + l->nb; j++) {
            double wd = (l->op <= TR_DENSE && j < l->w_off + l->nw) ? o->weight_decay : 0.0;
            float v = (float)(o->momentum * net->mom[j] + net->grads[j] + wd * net->params[j]);
            net->mom[j] = v;
            net->params[j] -= (float)(lr * v);
        }
    }
}

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

/* In-place Fisher-Yates with a generator seeded from (seed, salt). */
static void permute(int *idx, int n, uint64_t seed, uint64_t salt) {
    vsq_rng r = {(seed + 1) * 0x9E3779B97F4A7C15ull ^ ((salt + 1) * 0xD1B54A32D192ED03ull)};
    if (!r.s) r.s = 1;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(vsq_rng_next(&r) % (uint64_t)(i + 1));
        int t = idx[i];
        idx[i] = idx[j], idx[j] = t;
    }
}

/* The images of one epoch: with a limit, a fixed subset (the first `n` of
 * a permutation that depends on the seed only), reshuffled every epoch. */
static void epoch_order(int *idx, int total, int n, uint64_t seed, int epoch) {
    for (int i = 0; i < total; i++) idx[i] = i;
    if (n < total) permute(idx, total, seed, 0xFFFF);
    permute(idx, n, seed, (uint64_t)epoch);
}

vsq_status tr_train_epoch(tr_net *net, const tr_dataset *train, const tr_opts *o, int epoch,
                          tr_progress_fn progress, void *ctx, tr_epoch_log *log) {
    int n = o->limit_train > 0 && o->limit_train < train->n ? o->limit_train : train->n;
    int B = o->batch, px = train->h * train->w, steps = (n + B - 1) / B;
    int *idx = malloc(sizeof(int) * train->n);
    float *x = malloc(sizeof(float) * (size_t)B * px), *dl = malloc(sizeof(float) * (size_t)B * net->n_classes);
    uint8_t *lab = malloc((size_t)B);
    if (!idx || !x || !dl || !lab) {
        free(idx), free(x), free(dl), free(lab);
        return vsq_error(VSQ_ENOMEM, "no memory for a batch");
    }
    /* shuffle the whole set, train on its first n (a fixed subset per seed) */
    epoch_order(idx, train->n, n, o->seed, epoch);
    tr_sgd sgd = {o->lr, o->momentum, o->weight_decay};
    double loss = 0, t0 = now_s(), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), lr = o->lr;
    long hits = 0, seen = 0, total_steps = (long)steps * o->epochs;
    vsq_status st = VSQ_OK;
    net->training = 1;
    for (int s = 0; s < steps && !st; s++) {
        int b = n - s * B < B ? n - s * B : B;
        for (int i = 0; i < b; i++) {
            int id = idx[i + s * B];
            tr_image_to_float(train, id, x + (size_t)i * px);
            lab[i] = train->labels[id];
        }
        const float *logits;
        if (net->qat && (st = tr_qat_weights(net))) break;
        if ((st = tr_net_forward(net, x, b, &logits))) break;
        int correct;
        double l = tr_softmax_xent(logits, lab, b, net->n_classes, dl, &correct);
        if (!isfinite(l)) { st = vsq_error(VSQ_ENONFINITE, "epoch %d step %d: loss is %g (diverged; lower --lr)", epoch + 1, s, l); break; }
        tr_net_backward(net, dl, b);
        lr = tr_cosine_lr(o->lr, (long)epoch * steps + s, total_steps);
        tr_sgd_step(net, &sgd, lr);
        loss += l * b, hits += correct, seen += b;
        if (progress) progress(ctx, epoch, (size_t)seen, (size_t)n, loss / seen, (double)hits / seen, seen / (now_s() - t0));
    }
    net->training = 0;
    double dt = now_s() - t0;
    *log = (tr_epoch_log){.loss = seen ? loss / seen : 0, .train_acc = seen ? (double)hits / seen : 0,
                          .images_per_s = seen / dt, .seconds = dt, .lr_end = lr,
                          .cpu_seconds = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0};
    free(idx), free(x), free(dl), free(lab);
    return st;
}

vsq_status tr_evaluate(tr_net *net, const tr_dataset *test, int limit, double *acc) {
    int n = limit > 0 && limit < test->n ? limit : test->n, B = net->batch_cap, px = test->h * test->w;
    float *x = malloc(sizeof(float) * (size_t)B * px);
    if (!x) return vsq_error(VSQ_ENOMEM, "no memory for a batch");
    long hits = 0;
    vsq_status st = VSQ_OK;
    net->training = 0;
    if (net->qat) st = tr_qat_weights(net);
    for (int s = 0; s < n && !st; s += B) {
        int b = n - s < B ? n - s : B;
        for (int i = 0; i < b; i++) tr_image_to_float(test, s + i, x + (size_t)i * px);
        const float *logits;
        if ((st = tr_net_forward(net, x, b, &logits))) break;
        int correct;
        tr_softmax_xent(logits, test->labels + s, b, net->n_classes, NULL, &correct);
        hits += correct;
    }
    free(x);
    *acc = (double)hits / n;
    return st;
}
