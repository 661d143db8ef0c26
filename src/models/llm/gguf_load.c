/* Llama-architecture GGUF checkpoints (llama.cpp's format, docs/gguf.md):
 * hyper-parameters from the metadata, every tensor dequantized into one
 * fp32 area that the model points into, the byte-level BPE tokenizer the
 * file carries. The fp32 area is an anonymous mapping kept in m->map, so
 * llm_free releases it like a mapped llama2.c file. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "models/llm/bpe.h"
#include "models/llm/llm.h"

int llm_is_gguf(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char magic[4] = {0};
    size_t n = fread(magic, 1, 4, f);
    fclose(f);
    return n == 4 && memcmp(magic, "GGUF", 4) == 0;
}

static vsq_status meta_int(const vsq_gguf *g, const char *key, long lo, long hi, int *out) {
    int64_t v;
    vsq_status s = vsq_gguf_get_int(g, key, &v);
    if (s) return s;
    if (v < lo || v > hi)
        return vsq_error(VSQ_EFORMAT, "%s: %s = %lld outside %ld..%ld", g->path, key,
                         (long long)v, lo, hi);
    *out = (int)v;
    return VSQ_OK;
}

static vsq_status meta_float_opt(const vsq_gguf *g, const char *key, double def, float *out) {
    double v = def;
    if (vsq_gguf_find_kv(g, key)) {
        vsq_status s = vsq_gguf_get_float(g, key, &v);
        if (s) return s;
    }
    if (!(v > 0.0) || v > 1e9)
        return vsq_error(VSQ_EFORMAT, "%s: %s = %g is not a positive number", g->path, key, v);
    *out = (float)v;
    return VSQ_OK;
}

/* llama.block_count & co. into m->cfg; checks the architecture. */
static vsq_status read_config(const vsq_gguf *g, llm_config *c) {
    char *arch = NULL;
    vsq_status s = vsq_gguf_get_string(g, "general.architecture", &arch);
    if (!s && strcmp(arch, "llama") != 0)
        s = vsq_error(VSQ_EUNSUPPORTED, "%s: architecture \"%s\" (only \"llama\")", g->path, arch);
    free(arch);
    int ctx = 0, rope_dim = 0;
    if (!s) s = meta_int(g, "llama.block_count", 1, 1024, &c->n_layers);
    if (!s) s = meta_int(g, "llama.embedding_length", 2, 65536, &c->dim);
    if (!s) s = meta_int(g, "llama.feed_forward_length", 1, 262144, &c->hidden_dim);
    if (!s) s = meta_int(g, "llama.attention.head_count", 1, 1024, &c->n_heads);
    if (!s) c->n_kv_heads = c->n_heads;
    if (!s && vsq_gguf_find_kv(g, "llama.attention.head_count_kv"))
        s = meta_int(g, "llama.attention.head_count_kv", 1, 1024, &c->n_kv_heads);
    if (!s) s = meta_int(g, "llama.context_length", 1, 1 << 24, &ctx);
    if (!s) s = meta_float_opt(g, "llama.rope.freq_base", 10000.0, &c->rope_theta);
    if (!s) s = meta_float_opt(g, "llama.attention.layer_norm_rms_epsilon", 1e-5, &c->norm_eps);
    if (s) return s;
    c->seq_len = ctx < LLM_GGUF_MAX_CTX ? ctx : LLM_GGUF_MAX_CTX;
    if (c->dim % c->n_heads || c->n_heads % c->n_kv_heads || (c->dim / c->n_heads) % 2)
        return vsq_error(VSQ_EFORMAT, "%s: dim %d, %d heads, %d kv heads do not fit together",
                         g->path, c->dim, c->n_heads, c->n_kv_heads);
    rope_dim = c->dim / c->n_heads;
    if (vsq_gguf_find_kv(g, "llama.rope.dimension_count") &&
        (s = meta_int(g, "llama.rope.dimension_count", 1, 65536, &rope_dim)))
        return s;
    if (rope_dim != c->dim / c->n_heads)
        return vsq_error(VSQ_EUNSUPPORTED, "%s: RoPE over %d of %d head dimensions (partial RoPE not supported)",
                         g->path, rope_dim, c->dim / c->n_heads);
    return VSQ_OK;
}

/* Tensor `name` must be ne = (cols, rows) (or (cols) when rows == 0);
 * dequantized to dst. */
static vsq_status load_tensor(const vsq_gguf *g, const char *name, int cols, int rows,
                              float *dst);

/* The block types the as-stored path runs (kernels/ggml_quants.h); other
 * types run in their fp32 form. */
static int runs_stored(vsq_ggml_type type) {
    return type == VSQ_GGML_Q4_0 || type == VSQ_GGML_Q4_1 || type == VSQ_GGML_Q8_0;
}

/* Q4_0 / Q4_1 / Q8_0 matrices also keep their blocks (copied to `*blk`,
 * advanced) for the as-stored path. */
static void keep_blocks(const vsq_gguf *g, const char *name, llm_mat *mat, uint8_t **blk) {
    const vsq_gguf_tensor *t = vsq_gguf_find_tensor(g, name);
    if (!t || !runs_stored(t->type) || mat->cols % 32) return;
    memcpy(*blk, t->data, t->nbytes);
    mat->blocks = *blk;
    mat->block_type = (int)t->type;
    *blk += t->nbytes;
}

static vsq_status load_tensor(const vsq_gguf *g, const char *name, int cols, int rows,
                              float *dst) {
    const vsq_gguf_tensor *t = vsq_gguf_find_tensor(g, name);
    if (!t) return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\" missing", g->path, name);
    int ok = rows ? t->ndim == 2 && t->ne[0] == (uint64_t)cols && t->ne[1] == (uint64_t)rows
                  : t->ndim == 1 && t->ne[0] == (uint64_t)cols;
    if (!ok)
        return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\" is %llu x %llu, expected %d x %d",
                         g->path, name, (unsigned long long)t->ne[0],
                         (unsigned long long)t->ne[1], cols, rows ? rows : 1);
    return vsq_gguf_tensor_to_f32(g, t, dst);
}

static void set_mat(llm_mat *mat, const float *w, int rows, int cols, const char *name) {
    memset(mat, 0, sizeof *mat);
    mat->w = mat->w0 = w;
    mat->rows = rows;
    mat->cols = cols;
    mat->name = name;
}

typedef struct {
    const char *gguf; /* per-layer tensor name suffix */
    const char *name; /* vsquant's matrix name */
    int out_kv;       /* rows = kv_dim (k, v) */
    int in_hidden;    /* cols = hidden (down) */
    int out_hidden;   /* rows = hidden (gate, up) */
} mat_spec;

static const mat_spec layer_mats[7] = {
    {"attn_q", "wq", 0, 0, 0},   {"attn_k", "wk", 1, 0, 0},   {"attn_v", "wv", 1, 0, 0},
    {"attn_output", "wo", 0, 0, 0}, {"ffn_gate", "w1", 0, 0, 1}, {"ffn_down", "w2", 0, 1, 0},
    {"ffn_up", "w3", 0, 0, 1},
};

/* Floats of the fp32 area: embedding, norms, 7 matrices per layer, and an
 * untied classifier. */
static size_t area_floats(const llm_config *c) {
    size_t d = (size_t)c->dim, h = (size_t)c->hidden_dim, L = (size_t)c->n_layers;
    size_t kv = d / (size_t)c->n_heads * (size_t)c->n_kv_heads;
    size_t per_layer = 2 * d + 2 * d * d + 2 * kv * d + 3 * h * d;
    return (size_t)c->vocab_size * d * (c->shared_cls ? 1 : 2) + L * per_layer + d;
}

static vsq_status load_layers(const vsq_gguf *g, llm_model *m, float **pp, uint8_t **blk) {
    const llm_config *c = &m->cfg;
    int d = c->dim, h = c->hidden_dim, kv = d / c->n_heads * c->n_kv_heads;
    llm_mat **mats[7] = {&m->wq, &m->wk, &m->wv, &m->wo, &m->w1, &m->w2, &m->w3};
    for (int i = 0; i < 7; i++)
        if (!(*mats[i] = calloc((size_t)c->n_layers, sizeof(llm_mat))))
            return vsq_error(VSQ_ENOMEM, "%s: out of memory for the layer table", g->path);
    float *p = *pp, *rms_att = p, *rms_ffn = p + (size_t)c->n_layers * d;
    m->rms_att = rms_att;
    m->rms_ffn = rms_ffn;
    p += 2 * (size_t)c->n_layers * d;
    char name[96];
    vsq_status s = VSQ_OK;
    for (int l = 0; l < c->n_layers && !s; l++) {
        snprintf(name, sizeof name, "blk.%d.attn_norm.weight", l);
        s = load_tensor(g, name, d, 0, rms_att + (size_t)l * d);
        snprintf(name, sizeof name, "blk.%d.ffn_norm.weight", l);
        if (!s) s = load_tensor(g, name, d, 0, rms_ffn + (size_t)l * d);
        for (int i = 0; i < 7 && !s; i++) {
            const mat_spec *ms = &layer_mats[i];
            int rows = ms->out_kv ? kv : ms->out_hidden ? h : d, cols = ms->in_hidden ? h : d;
            snprintf(name, sizeof name, "blk.%d.%s.weight", l, ms->gguf);
            s = load_tensor(g, name, cols, rows, p);
            set_mat(&(*mats[i])[l], p, rows, cols, ms->name);
            if (!s) keep_blocks(g, name, &(*mats[i])[l], blk);
            p += (size_t)rows * cols;
        }
    }
    *pp = p;
    return s;
}

static vsq_status load_weights(const vsq_gguf *g, llm_model *m) {
    llm_config *c = &m->cfg;
    const vsq_gguf_tensor *emb = vsq_gguf_find_tensor(g, "token_embd.weight");
    if (!emb || emb->ndim != 2 || emb->ne[0] != (uint64_t)c->dim || emb->ne[1] > (1u << 20))
        return vsq_error(VSQ_EFORMAT, "%s: token_embd.weight missing or not dim x vocab", g->path);
    c->vocab_size = (int)emb->ne[1];
    c->shared_cls = vsq_gguf_find_tensor(g, "output.weight") == NULL;
    size_t fbytes = area_floats(c) * sizeof(float), bytes = fbytes;
    for (size_t i = 0; i < g->n_tensors; i++) /* room for the kept blocks */
        if (runs_stored(g->tensors[i].type))
            bytes += g->tensors[i].nbytes;
    void *area = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        return vsq_error(VSQ_ENOMEM, "%s: cannot allocate %zu bytes for the fp32 weights",
                         g->path, bytes);
    m->map = area;
    m->map_size = bytes;
    float *p = area;
    uint8_t *blk = (uint8_t *)area + fbytes;
    vsq_status s = load_tensor(g, "token_embd.weight", c->dim, c->vocab_size, p);
    m->tok_emb = p;
    p += (size_t)c->vocab_size * c->dim;
    if (!s) s = load_layers(g, m, &p, &blk);
    if (!s) s = load_tensor(g, "output_norm.weight", c->dim, 0, p);
    m->rms_final = p;
    p += c->dim;
    if (!s && !c->shared_cls) s = load_tensor(g, "output.weight", c->dim, c->vocab_size, p);
    set_mat(&m->cls, c->shared_cls ? m->tok_emb : p, c->vocab_size, c->dim, "cls");
    if (!s) keep_blocks(g, c->shared_cls ? "token_embd.weight" : "output.weight", &m->cls, &blk);
    m->run_stored = 1;
    return s;
}

static vsq_status load_tokenizer(const vsq_gguf *g, const llm_config *c, llm_tokenizer *t) {
    memset(t, 0, sizeof *t);
    vsq_status s = bpe_tokenizer_from_gguf(g, &t->bpe);
    if (s) return s;
    t->vocab_size = bpe_vocab_size(t->bpe);
    if (t->vocab_size != c->vocab_size)
        return vsq_error(VSQ_EFORMAT, "%s: tokenizer has %d tokens, token_embd %d", g->path,
                         t->vocab_size, c->vocab_size);
    const vsq_gguf_kv *ab = vsq_gguf_find_kv(g, "tokenizer.ggml.add_bos_token");
    t->add_bos = ab && ab->type == VSQ_GGUF_BOOL ? (int)ab->v.u : 0;
    t->bos_id = bpe_bos(t->bpe);
    t->stop_id = bpe_eos(t->bpe);
    return VSQ_OK;
}

vsq_status llm_load_gguf(const char *path, llm_model *m, llm_tokenizer *t) {
    memset(m, 0, sizeof *m);
    memset(t, 0, sizeof *t);
    vsq_gguf g;
    vsq_status s = vsq_gguf_open(path, &g);
    if (s) return s;
    s = read_config(&g, &m->cfg);
    if (!s) s = load_weights(&g, m);
    if (!s) s = load_tokenizer(&g, &m->cfg, t);
    vsq_gguf_close(&g);
    if (s) {
        llm_tokenizer_free(t);
        llm_free(m);
    }
    return s;
}
