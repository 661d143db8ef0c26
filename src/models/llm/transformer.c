/* Forward pass of the Llama-2 architecture, one token at a time with a KV
 * cache. Float math follows the llama2.c reference order of operations
 * (sequential float sums) so greedy decoding reproduces it exactly.
 */
#include "models/llm/llm.h"
#include "vsq/kernels.h"
#include "kernels/ggml_quants.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { LLM_PAR_MIN_WEIGHTS = 1 << 18 };

static vsq_status gemm_ref_1row(float *y, const vsq_qtensor *a, const vsq_qtensor *w) {
    return vsq_gemm_ref(a, w, 0, y, NULL);
}
llm_matmul_q_fn llm_matmul_q = gemm_ref_1row;

vsq_status llm_state_init(llm_state *s, const llm_config *c) {
    memset(s, 0, sizeof *s);
    size_t d = (size_t)c->dim, h = (size_t)c->hidden_dim;
    size_t kv = d / (size_t)c->n_heads * (size_t)c->n_kv_heads;
    size_t cache = (size_t)c->n_layers * (size_t)c->seq_len * kv;
    size_t wide = d > h ? d : h;
    s->x = calloc(d, sizeof(float));
    s->xb = calloc(d, sizeof(float));
    s->xb2 = calloc(d, sizeof(float));
    s->hb = calloc(h, sizeof(float));
    s->hb2 = calloc(h, sizeof(float));
    s->q = calloc(d, sizeof(float));
    s->att = calloc((size_t)c->n_heads * (size_t)c->seq_len, sizeof(float));
    s->logits = calloc((size_t)c->vocab_size, sizeof(float));
    s->key_cache = calloc(cache, sizeof(float));
    s->value_cache = calloc(cache, sizeof(float));
    s->aq = calloc(wide, sizeof(float));
    s->gq = calloc(wide / 32 + 1, GGML_Q8_BLOCK_BYTES);
    if (!s->gq || !s->x || !s->xb || !s->xb2 || !s->hb || !s->hb2 || !s->q || !s->att || !s->logits ||
        !s->key_cache || !s->value_cache || !s->aq) {
        llm_state_free(s);
        return vsq_error(VSQ_ENOMEM, "llm: out of memory for run state (KV cache %zu floats)",
                         2 * cache);
    }
    return VSQ_OK;
}

void llm_state_free(llm_state *s) {
    float *p[] = {s->x,   s->xb,     s->xb2,       s->hb,          s->hb2, s->q,
                  s->att, s->logits, s->key_cache, s->value_cache, s->aq};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) free(p[i]);
    vsq_packed_a_free(&s->pa);
    free(s->gq);
    memset(s, 0, sizeof *s);
}

static void rmsnorm(float *o, const float *x, const float *w, int n, float eps) {
    float ss = 0.0f;
    for (int j = 0; j < n; j++) ss += x[j] * x[j];
    ss = 1.0f / sqrtf(ss / n + (eps > 0.0f ? eps : 1e-5f));
    for (int j = 0; j < n; j++) o[j] = w[j] * (ss * x[j]);
}

static void softmax(float *x, int n) {
    float max = x[0];
    for (int i = 1; i < n; i++)
        if (x[i] > max) max = x[i];
    float sum = 0.0f;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    for (int i = 0; i < n; i++) x[i] /= sum;
}

/* Integer path, reference kernel: quantize the activation row, multiply
 * the unpacked codes. */
static vsq_status linear_int(const llm_model *m, float *y, const float *x, const llm_mat *w) {
    vsq_qtensor a;
    vsq_status st = vsq_quantize(&m->afmt, x, 1, (size_t)w->cols, 1, &a);
    if (st) return st;
    st = llm_matmul_q(y, &a, w->q);
    vsq_qtensor_free(&a);
    return st;
}

/* y = W x with the model's activation format applied to x (dynamic, per
 * token, vectors along the input dimension). */
static vsq_status linear(const llm_model *m, llm_state *s, float *y, const float *x,
                         const llm_mat *w) {
    if (m->capture) m->capture(m->capture_ctx, w, x);
    /* Fast path: fused per-token activation quantization + packed GEMV;
     * the activation buffers live in the run state and are reused. */
    if (m->integer_path && w->pw) {
        /* Below ~256K weights a GEMV takes microseconds: forking threads
         * costs more than it saves (and spins badly on a busy machine). */
        int nt = (size_t)w->rows * (size_t)w->cols < LLM_PAR_MIN_WEIGHTS ? 1 : m->threads;
        return vsq_linear_q(w->pw, &m->afmt, x, 1, NULL, y, nt, &s->pa);
    }
    if (m->integer_path && w->q) return linear_int(m, y, x, w);
    if (m->run_stored && w->blocks && !m->has_a && w->w == w->w0) {
        int nt = (size_t)w->rows * (size_t)w->cols < LLM_PAR_MIN_WEIGHTS ? 1 : m->threads;
        vsq_ggml_matvec(w->block_type, w->blocks, x, y, (size_t)w->rows, (size_t)w->cols, s->gq,
                        nt);
        return VSQ_OK;
    }
    if (m->has_a) {
        vsq_status st = vsq_fakequant(&m->afmt, x, 1, (size_t)w->cols, 1, s->aq);
        if (st) return st;
        x = s->aq;
    }
    /* fixed summation order, same result on every ISA (vsq/kernels.h) */
    vsq_matvec_f32(w->w, x, y, (size_t)w->rows, (size_t)w->cols, m->threads);
    return VSQ_OK;
}

/* Rotary position embedding on q (all heads) and k (kv heads), pairs
 * (2i, 2i+1) of each head rotated by pos * theta^(-2i/head_size); theta is
 * the model's RoPE base (llama2.c: 10000). */
static void rope(float *q, float *k, int pos, int dim, int kv_dim, int head_size, float theta) {
    for (int i = 0; i < dim; i += 2) {
        int hd = i % head_size;
        float freq = 1.0f / powf(theta > 0.0f ? theta : 10000.0f, hd / (float)head_size);
        float val = pos * freq, fcr = cosf(val), fci = sinf(val);
        for (int v = 0; v < (i < kv_dim ? 2 : 1); v++) {
            float *vec = v == 0 ? q : k;
            float v0 = vec[i], v1 = vec[i + 1];
            vec[i] = v0 * fcr - v1 * fci;
            vec[i + 1] = v0 * fci + v1 * fcr;
        }
    }
}

/* Causal attention of every query head over positions 0..pos; kv heads
 * are shared by n_heads / n_kv_heads query heads (GQA). Output in s->xb. */
static void attention(const llm_config *c, llm_state *s, int l, int pos) {
    int hs = c->dim / c->n_heads, kv_dim = hs * c->n_kv_heads, kv_mul = c->n_heads / c->n_kv_heads;
    size_t loff = (size_t)l * c->seq_len * kv_dim;
    float norm = sqrtf((float)hs);
    for (int h = 0; h < c->n_heads; h++) {
        const float *q = s->q + h * hs;
        float *att = s->att + (size_t)h * c->seq_len;
        for (int t = 0; t <= pos; t++) {
            const float *k = s->key_cache + loff + (size_t)t * kv_dim + (h / kv_mul) * hs;
            float score = 0.0f;
            for (int i = 0; i < hs; i++) score += q[i] * k[i];
            att[t] = score / norm;
        }
        softmax(att, pos + 1);
        float *xb = s->xb + h * hs;
        memset(xb, 0, (size_t)hs * sizeof(float));
        for (int t = 0; t <= pos; t++) {
            const float *v = s->value_cache + loff + (size_t)t * kv_dim + (h / kv_mul) * hs;
            for (int i = 0; i < hs; i++) xb[i] += att[t] * v[i];
        }
    }
}

static vsq_status attention_block(const llm_model *m, llm_state *s, int l, int pos) {
    const llm_config *c = &m->cfg;
    int d = c->dim, hs = d / c->n_heads, kv_dim = hs * c->n_kv_heads;
    size_t off = ((size_t)l * c->seq_len + (size_t)pos) * kv_dim;
    float *k = s->key_cache + off, *v = s->value_cache + off;
    vsq_status st;
    rmsnorm(s->xb, s->x, m->rms_att + (size_t)l * d, d, c->norm_eps);
    if ((st = linear(m, s, s->q, s->xb, &m->wq[l]))) return st;
    if ((st = linear(m, s, k, s->xb, &m->wk[l]))) return st;
    if ((st = linear(m, s, v, s->xb, &m->wv[l]))) return st;
    rope(s->q, k, pos, d, kv_dim, hs, c->rope_theta);
    attention(c, s, l, pos);
    if ((st = linear(m, s, s->xb2, s->xb, &m->wo[l]))) return st;
    for (int i = 0; i < d; i++) s->x[i] += s->xb2[i];
    return VSQ_OK;
}

/* SwiGLU: w2( silu(w1 x) * w3 x ). */
static vsq_status mlp_block(const llm_model *m, llm_state *s, int l) {
    int d = m->cfg.dim, h = m->cfg.hidden_dim;
    vsq_status st;
    rmsnorm(s->xb, s->x, m->rms_ffn + (size_t)l * d, d, m->cfg.norm_eps);
    if ((st = linear(m, s, s->hb, s->xb, &m->w1[l]))) return st;
    if ((st = linear(m, s, s->hb2, s->xb, &m->w3[l]))) return st;
    for (int i = 0; i < h; i++) {
        float v = s->hb[i];
        s->hb[i] = v * (1.0f / (1.0f + expf(-v))) * s->hb2[i];
    }
    if ((st = linear(m, s, s->xb, s->hb, &m->w2[l]))) return st;
    for (int i = 0; i < d; i++) s->x[i] += s->xb[i];
    return VSQ_OK;
}

float *llm_forward(const llm_model *m, llm_state *s, int token, int pos) {
    const llm_config *c = &m->cfg;
    if (token < 0 || token >= c->vocab_size || pos < 0 || pos >= c->seq_len) {
        vsq_error(VSQ_EINVAL, "llm_forward: token %d / position %d out of range", token, pos);
        return NULL;
    }
    memcpy(s->x, m->tok_emb + (size_t)token * c->dim, (size_t)c->dim * sizeof(float));
    for (int l = 0; l < c->n_layers; l++) {
        if (attention_block(m, s, l, pos) || mlp_block(m, s, l)) return NULL;
    }
    rmsnorm(s->x, s->x, m->rms_final, c->dim, c->norm_eps);
    if (linear(m, s, s->logits, s->x, &m->cls)) return NULL;
    return s->logits;
}
