/* The BERT encoder forward pass over a batch of packed sentences (see
 * bert.h): embeddings + LayerNorm, then per layer self-attention and the
 * GELU feed-forward block, each followed by residual + LayerNorm (post-LN),
 * then masked mean pooling and L2 normalisation (sentence-transformers).
 * Linear layers are GEMMs over all tokens of the batch (bert_quant.c
 * decides fp32, fake-quant or packed integer); attention is parallel over
 * (sentence, head) pairs. */
#include "models/bert/bert.h"

#include <math.h>
#include <stdio.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int n;            /* sentences in the batch */
    const int32_t *const *ids;
    const int *len;
    int *off;         /* first token row of each sentence */
    size_t tokens;    /* total rows */
} batch;

typedef struct {
    float *x, *q, *k, *v, *ctx, *tmp, *ffn, *scratch;
} work;

static void work_free(work *w) {
    free(w->x), free(w->q), free(w->k), free(w->v), free(w->ctx), free(w->tmp), free(w->ffn),
        free(w->scratch);
    memset(w, 0, sizeof *w);
}

static vsq_status work_alloc(work *w, size_t tokens, const bert_config *c) {
    size_t h = tokens * (size_t)c->hidden, f = tokens * (size_t)c->ffn;
    memset(w, 0, sizeof *w);
    w->x = malloc(h * sizeof(float)), w->q = malloc(h * sizeof(float));
    w->k = malloc(h * sizeof(float)), w->v = malloc(h * sizeof(float));
    w->ctx = malloc(h * sizeof(float)), w->tmp = malloc(h * sizeof(float));
    w->ffn = malloc(f * sizeof(float)), w->scratch = malloc(f * sizeof(float));
    if (!w->x || !w->q || !w->k || !w->v || !w->ctx || !w->tmp || !w->ffn || !w->scratch) {
        work_free(w);
        return vsq_error(VSQ_ENOMEM, "bert: out of memory for a batch of %zu tokens", tokens);
    }
    return VSQ_OK;
}

/* y = LN(y) * g + b per row of n; statistics in double (the reference is
 * float64; this keeps the fp32 encoder within 1e-5 cosine of it). */
static void layernorm_rows(float *y, size_t rows, int n, const float *g, const float *b, float eps) {
#pragma omp parallel for schedule(static) if (rows > 64)
    for (size_t r = 0; r < rows; r++) {
        float *v = y + r * (size_t)n;
        double mean = 0.0, var = 0.0;
        for (int i = 0; i < n; i++) mean += v[i];
        mean /= n;
        for (int i = 0; i < n; i++) var += (v[i] - mean) * (v[i] - mean);
        double inv = 1.0 / sqrt(var / n + eps);
        for (int i = 0; i < n; i++) v[i] = (float)((v[i] - mean) * inv) * g[i] + b[i];
    }
}

static void embed_tokens(const bert_model *m, const batch *bt, float *x) {
    int h = m->cfg.hidden;
    for (int s = 0; s < bt->n; s++)
        for (int t = 0; t < bt->len[s]; t++) {
            const float *we = m->word_emb + (size_t)bt->ids[s][t] * h;
            const float *pe = m->pos_emb + (size_t)t * h, *te = m->type_emb; /* token type 0 */
            float *row = x + (size_t)(bt->off[s] + t) * h;
            for (int i = 0; i < h; i++) row[i] = we[i] + pe[i] + te[i];
        }
    layernorm_rows(x, bt->tokens, h, m->emb_ln_g, m->emb_ln_b, m->cfg.ln_eps);
}

static void softmax(float *x, int n) {
    float mx = x[0], sum = 0.0f;
    for (int i = 1; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    for (int i = 0; i < n; i++) sum += x[i] = expf(x[i] - mx);
    for (int i = 0; i < n; i++) x[i] /= sum;
}

/* Copy head `hd` of the L rows at `src` (row stride h) into dst (L x dh);
 * transposed (dh x L) when `tr`. */
static void gather_head(const float *src, int L, int h, int dh, int hd, int tr, float *dst) {
    for (int t = 0; t < L; t++)
        for (int i = 0; i < dh; i++) {
            float v = src[(size_t)t * h + hd * dh + i];
            if (tr) dst[(size_t)i * L + t] = v;
            else dst[(size_t)t * dh + i] = v;
        }
}

/* One sentence, one head: ctx = softmax(Q K^T / sqrt(dh)) V, with the
 * operands of both products fake-quantized when the model asks for it
 * (vectors along each product's reduction axis: dh for Q K^T, the keys
 * for P V). buf holds 4 L x max(L, dh) floats. */
static vsq_status head_attention(const bert_model *m, const work *w, int off, int L, int hd,
                                 float *buf) {
    int h = m->cfg.hidden, dh = h / m->cfg.n_heads, wd = L > dh ? L : dh;
    float *qh = buf, *kh = buf + (size_t)L * wd, *vt = kh + (size_t)L * wd, *p = vt + (size_t)L * wd;
    const size_t o = (size_t)off * h;
    int quant = bert_attn_quantized(m);
    vsq_status st = VSQ_OK;
    gather_head(w->q + o, L, h, dh, hd, 0, qh);
    gather_head(w->k + o, L, h, dh, hd, 0, kh);
    gather_head(w->v + o, L, h, dh, hd, 1, vt);
    if (quant && ((st = bert_attn_fakequant(m, qh, L, dh)) ||
                  (st = bert_attn_fakequant(m, kh, L, dh)) ||
                  (st = bert_attn_fakequant(m, vt, dh, L))))
        return st;
    const float scale = 1.0f / sqrtf((float)dh);
    for (int i = 0; i < L; i++) {
        float *pi = p + (size_t)i * L;
        for (int j = 0; j < L; j++) {
            float s = 0.0f;
            for (int d = 0; d < dh; d++) s += qh[(size_t)i * dh + d] * kh[(size_t)j * dh + d];
            pi[j] = s * scale;
        }
        softmax(pi, L);
    }
    if (quant && (st = bert_attn_fakequant(m, p, L, L))) return st;
    for (int i = 0; i < L; i++) {
        float *out = w->ctx + o + (size_t)i * h + hd * dh;
        for (int d = 0; d < dh; d++) {
            float s = 0.0f;
            for (int j = 0; j < L; j++) s += p[(size_t)i * L + j] * vt[(size_t)d * L + j];
            out[d] = s;
        }
    }
    return VSQ_OK;
}

static vsq_status attention(const bert_model *m, const batch *bt, const work *w) {
    int nh = m->cfg.n_heads, dh = m->cfg.hidden / nh, maxl = dh;
    for (int s = 0; s < bt->n; s++) maxl = bt->len[s] > maxl ? bt->len[s] : maxl;
    int pairs = bt->n * nh;
    vsq_status st = VSQ_OK;
    char msg[512] = "";
#pragma omp parallel
    {
        float *buf = malloc((size_t)4 * maxl * maxl * sizeof(float));
        vsq_status mine = buf ? VSQ_OK : vsq_error(VSQ_ENOMEM, "bert: out of memory in attention");
#pragma omp for schedule(dynamic, 4)
        for (int i = 0; i < pairs; i++) {
            int s = i / nh;
            if (!mine) mine = head_attention(m, w, bt->off[s], bt->len[s], i % nh, buf);
        }
        free(buf);
        if (mine) {
#pragma omp critical
            {
                st = mine;
                snprintf(msg, sizeof msg, "%s", vsq_last_error());
            }
        }
    }
    /* messages are thread-local: raise the worker's on this thread */
    return st ? vsq_error(st, "%s", msg) : VSQ_OK;
}

static void add_rows(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

/* 0.5 x (1 + erf(x / sqrt 2)): BERT's exact GELU. */
static void gelu(float *x, size_t n) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

static vsq_status linear(const bert_model *m, const bert_linear *l, const float *x, size_t rows,
                         float *y, float *scratch) {
    if (m->observe) m->observe(m->observe_ctx, l, x, rows);
    return bert_linear_forward(m, l, x, rows, y, scratch);
}

static vsq_status encoder_layer(const bert_model *m, const bert_layer *L, const batch *bt, work *w) {
    size_t T = bt->tokens, h = (size_t)m->cfg.hidden;
    vsq_status st;
    if ((st = linear(m, &L->lin[BERT_Q], w->x, T, w->q, w->scratch)) ||
        (st = linear(m, &L->lin[BERT_K], w->x, T, w->k, w->scratch)) ||
        (st = linear(m, &L->lin[BERT_V], w->x, T, w->v, w->scratch)) ||
        (st = attention(m, bt, w)) ||
        (st = linear(m, &L->lin[BERT_AO], w->ctx, T, w->tmp, w->scratch)))
        return st;
    add_rows(w->x, w->tmp, T * h);
    layernorm_rows(w->x, T, (int)h, L->ln1_g, L->ln1_b, m->cfg.ln_eps);
    if ((st = linear(m, &L->lin[BERT_F1], w->x, T, w->ffn, w->scratch))) return st;
    gelu(w->ffn, T * (size_t)m->cfg.ffn);
    if ((st = linear(m, &L->lin[BERT_F2], w->ffn, T, w->tmp, w->scratch))) return st;
    add_rows(w->x, w->tmp, T * h);
    layernorm_rows(w->x, T, (int)h, L->ln2_g, L->ln2_b, m->cfg.ln_eps);
    return VSQ_OK;
}

/* Mean over each sentence's tokens, then unit L2 norm. */
static void pool(const bert_model *m, const batch *bt, const float *x, float *out) {
    int h = m->cfg.hidden;
    double *acc = calloc((size_t)h, sizeof *acc);
    for (int s = 0; s < bt->n && acc; s++) {
        memset(acc, 0, (size_t)h * sizeof *acc);
        for (int t = 0; t < bt->len[s]; t++)
            for (int i = 0; i < h; i++) acc[i] += x[(size_t)(bt->off[s] + t) * h + i];
        double nrm = 0.0;
        for (int i = 0; i < h; i++) nrm += acc[i] * acc[i];
        nrm = nrm > 0.0 ? 1.0 / sqrt(nrm) : 0.0; /* the mean's 1/len cancels here */
        for (int i = 0; i < h; i++) out[(size_t)s * h + i] = (float)(acc[i] * nrm);
    }
    free(acc);
}

static vsq_status run_batch(const bert_model *m, const batch *bt, work *w, float *out) {
    embed_tokens(m, bt, w->x);
    for (int l = 0; l < m->cfg.n_layers; l++) {
        vsq_status st = encoder_layer(m, &m->layers[l], bt, w);
        if (st) return st;
    }
    pool(m, bt, w->x, out);
    return VSQ_OK;
}

static vsq_status check_ids(const bert_model *m, const bert_ids *s) {
    for (int i = 0; i < s->n; i++) {
        if (s->len[i] < 1 || s->len[i] > m->cfg.max_pos)
            return vsq_error(VSQ_EINVAL, "bert: sentence %d has %d tokens (1..%d allowed)", i,
                             s->len[i], m->cfg.max_pos);
        for (int t = 0; t < s->len[i]; t++)
            if (s->ids[i][t] < 0 || s->ids[i][t] >= m->cfg.vocab)
                return vsq_error(VSQ_EINVAL, "bert: sentence %d token %d: id %d outside the vocabulary (%d)",
                                 i, t, (int)s->ids[i][t], m->cfg.vocab);
    }
    return VSQ_OK;
}

vsq_status bert_embed(const bert_model *m, const bert_ids *s, int batch_tokens, float *out,
                      void (*progress)(size_t, size_t)) {
    vsq_status st = check_ids(m, s);
    if (st || s->n == 0) return st;
    if (batch_tokens < m->cfg.max_pos) batch_tokens = m->cfg.max_pos;
    work w;
    int *off = malloc((size_t)s->n * sizeof *off);
    if (!off) return vsq_error(VSQ_ENOMEM, "bert: out of memory");
    if ((st = work_alloc(&w, (size_t)batch_tokens, &m->cfg))) {
        free(off);
        return st;
    }
    for (int first = 0; first < s->n && !st;) {
        batch bt = {0, (const int32_t *const *)s->ids + first, s->len + first, off, 0};
        while (first + bt.n < s->n && bt.tokens + (size_t)s->len[first + bt.n] <= (size_t)batch_tokens) {
            off[bt.n] = (int)bt.tokens;
            bt.tokens += (size_t)s->len[first + bt.n++];
        }
        st = run_batch(m, &bt, &w, out + (size_t)first * m->cfg.hidden);
        first += bt.n;
        if (progress) progress((size_t)first, (size_t)s->n);
    }
    work_free(&w);
    free(off);
    return st;
}
