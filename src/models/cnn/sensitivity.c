/* Which layers lose the accuracy: quantize one MAC layer at a time
 * (everything else fp32) and score top-1 and the logits' SQNR against the
 * fp32 run on the same images; then, from those per-layer costs, a greedy
 * choice of one format per layer under an average bits-per-weight budget
 * (scale bits included, vsq_format_bits_per_elem). */
#include "models/cnn/cnn.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vsq_status cnn_logits(const cnn_model *m, const cnn_qcfg *q, const cnn_dataset *d, int begin, int end,
                      int threads, float *out) {
    if (!d->pix || d->size != m->in_h || begin < 0 || end > d->n || begin >= end)
        return vsq_error(VSQ_EINVAL, "logits: images [%d,%d) not cached at the model input size", begin, end);
    size_t per = (size_t)d->size * d->size * 3;
    vsq_status st = VSQ_OK;
    char msg[600] = "";
#pragma omp parallel num_threads(threads > 0 ? threads : omp_get_max_threads())
    {
        cnn_work w;
        vsq_status s = cnn_work_alloc(m, &w), alloc = s;
#pragma omp for schedule(dynamic, 1)
        for (int i = begin; i < end; i++)
            if (!s) s = cnn_forward(m, q, &w, d->pix + per * i, out + (size_t)(i - begin) * m->n_classes, NULL, NULL);
#pragma omp critical(cnn_logits)
        if (s && !st) st = s, snprintf(msg, sizeof msg, "%s", vsq_last_error());
        if (!alloc) cnn_work_free(&w);
    }
    return st ? vsq_error(st, "%s", msg) : VSQ_OK;
}

double cnn_logits_top1(const cnn_model *m, const cnn_dataset *d, int begin, int end, const float *logits) {
    int hit = 0;
    for (int i = begin; i < end; i++) {
        const float *x = logits + (size_t)(i - begin) * m->n_classes;
        int best = 0;
        for (int c = 1; c < m->n_classes; c++) best = x[c] > x[best] ? c : best;
        hit += best == d->label[i];
    }
    return 100.0 * hit / (end - begin);
}

double cnn_logits_sqnr(const float *ref, const float *x, size_t n) {
    double s = 0, e = 0;
    for (size_t i = 0; i < n; i++) s += (double)ref[i] * ref[i], e += ((double)ref[i] - x[i]) * ((double)ref[i] - x[i]);
    return e > 0 ? 10 * log10(s / e) : INFINITY;
}

double cnn_layer_bits(const cnn_layer *l, const vsq_format *f) {
    return vsq_format_bits_per_elem(f, (size_t)l->cout, (size_t)l->k, (size_t)l->cout);
}

vsq_status cnn_sensitivity(cnn_model *m, const cnn_qcfg *q, const cnn_dataset *d, int begin, int end,
                           int threads, const float *ref, cnn_sens *out, int *n_out,
                           void (*progress)(size_t, size_t)) {
    size_t n_logits = (size_t)(end - begin) * m->n_classes;
    float *x = malloc(n_logits * sizeof(float));
    unsigned char *on = calloc((size_t)m->n, 1);
    if (!x || !on) { free(x); free(on); return vsq_error(VSQ_ENOMEM, "sensitivity: no memory"); }
    int n_mac = 0, done = 0;
    for (int i = 0; i < m->n; i++) n_mac += cnn_is_mac(&m->l[i]);
    vsq_status st = VSQ_OK;
    *n_out = 0;
    for (int i = 0; i < m->n && !st; i++) {
        const cnn_layer *l = &m->l[i];
        if (!cnn_is_mac(l)) continue;
        cnn_qcfg one = *q;
        on[i] = 1;
        one.layer_on = on;
        st = cnn_quantize_weights(m, &one);
        if (!st) st = cnn_logits(m, &one, d, begin, end, threads, x);
        on[i] = 0;
        cnn_clear_weights(m);
        if (st) break;
        cnn_sens *s = &out[(*n_out)++];
        const vsq_format *f = q->layer_w ? &q->layer_w[i] : &q->w;
        s->layer = i;
        s->params = (size_t)l->cout * l->k;
        s->bits = q->quant_w ? cnn_layer_bits(l, f) : 32.0;
        s->top1 = cnn_logits_top1(m, d, begin, end, x);
        s->sqnr_db = cnn_logits_sqnr(ref, x, n_logits);
        if (progress) progress((size_t)++done, (size_t)n_mac);
    }
    free(x);
    free(on);
    return st;
}

/* Logit noise power of an SQNR, relative to the signal. */
static double noise(double sqnr_db) { return isfinite(sqnr_db) ? pow(10.0, -sqnr_db / 10.0) : 0.0; }

vsq_status cnn_mixed_greedy(const cnn_sens *sens, int n_fmt, int n_mac, double target, int *choice,
                            double *avg_bits) {
    double total = 0, bits = 0;
    for (int j = 0; j < n_mac; j++) {
        choice[j] = 0;
        total += (double)sens[j].params;
        bits += sens[j].bits * (double)sens[j].params;
    }
    while (bits > target * total * (1 + 1e-12)) {
        int best = -1;
        double best_cost = INFINITY;
        for (int j = 0; j < n_mac; j++) {
            int f = choice[j];
            if (f + 1 >= n_fmt) continue;
            const cnn_sens *a = &sens[(size_t)f * n_mac + j], *b = &sens[(size_t)(f + 1) * n_mac + j];
            double saved = (a->bits - b->bits) * (double)a->params;
            if (saved <= 0) continue;
            double cost = (noise(b->sqnr_db) - noise(a->sqnr_db)) / saved;
            if (cost < best_cost) best_cost = cost, best = j;
        }
        if (best < 0)
            return vsq_error(VSQ_EINVAL, "mixed precision: %.3f bits per weight is below the cheapest candidate set (%.3f)",
                             target, bits / total);
        int f = choice[best]++;
        bits -= (sens[(size_t)f * n_mac + best].bits - sens[(size_t)(f + 1) * n_mac + best].bits) *
                (double)sens[best].params;
    }
    *avg_bits = bits / total;
    return VSQ_OK;
}
