/* llama2.c checkpoint: 7 x int32 header, then float32 weights in a fixed
 * order. The file is mmap-ed; the model points into the mapping.
 *
 * Layout after the header (L layers, head size hs = dim / n_heads,
 * kv_dim = n_kv_heads * hs):
 *   tok_emb vocab*dim, rms_att L*dim, wq L*dim*dim, wk L*kv_dim*dim,
 *   wv L*kv_dim*dim, wo L*dim*dim, rms_ffn L*dim, w1 L*hidden*dim,
 *   w2 L*dim*hidden, w3 L*hidden*dim, rms_final dim,
 *   freq_cis_real seq_len*hs/2, freq_cis_imag seq_len*hs/2 (legacy RoPE
 *   tables, unused: RoPE is recomputed), then the classifier vocab*dim
 *   only when the header's vocab_size is negative (unshared).
 */
#include "models/llm/llm.h"
#include "io/io.h"

#include "core/checked.h"

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { HEADER_INTS = 7 };

/* Reject dimensions that are non-positive, absurd (overflow guard) or
 * inconsistent with each other. */
static vsq_status check_config(const llm_config *c, const char *what) {
    if (c->dim <= 0 || c->hidden_dim <= 0 || c->n_layers <= 0 || c->n_heads <= 0 ||
        c->n_kv_heads <= 0 || c->vocab_size <= 0 || c->seq_len <= 0)
        return vsq_error(VSQ_EFORMAT, "%s: header has a non-positive dimension", what);
    if (c->dim > 65536 || c->hidden_dim > 262144 || c->n_layers > 1024 ||
        c->vocab_size > (1 << 20) || c->seq_len > (1 << 20))
        return vsq_error(VSQ_EFORMAT, "%s: header dimensions are implausibly large", what);
    if (c->dim % c->n_heads != 0)
        return vsq_error(VSQ_EFORMAT, "%s: dim %d not divisible by n_heads %d", what, c->dim,
                         c->n_heads);
    if (c->n_heads % c->n_kv_heads != 0)
        return vsq_error(VSQ_EFORMAT, "%s: n_heads %d not divisible by n_kv_heads %d", what,
                         c->n_heads, c->n_kv_heads);
    if ((c->dim / c->n_heads) % 2 != 0)
        return vsq_error(VSQ_EFORMAT, "%s: head size %d is odd (RoPE needs pairs)", what,
                         c->dim / c->n_heads);
    return VSQ_OK;
}

/* Number of floats the header implies (the layout at the top), with
 * overflow-checked products; returns 1 on overflow. */
static int expected_floats(const llm_config *c, size_t *out) {
    size_t d = (size_t)c->dim, h = (size_t)c->hidden_dim, L = (size_t)c->n_layers;
    size_t hs = d / (size_t)c->n_heads, kv = hs * (size_t)c->n_kv_heads;
    size_t v = (size_t)c->vocab_size, cls = c->shared_cls ? 0 : v;
    const size_t parts[][4] = {
        {v, d, 1, 1},  {L, d, 1, 1},  {L, d, d, 2},         {L, kv, d, 2}, {L, d, 1, 1},
        {L, h, d, 3},  {d, 1, 1, 1},  {(size_t)c->seq_len, hs, 1, 1}, {cls, d, 1, 1}};
    size_t n = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        size_t p = 1;
        for (int k = 0; k < 4; k++)
            if (vsq_mul_size_into(&p, parts[i][k])) return 1;
        if (vsq_add_size(n, p, &n)) return 1;
    }
    *out = n;
    return 0;
}

static void set_mat(llm_mat *m, const float *w, int rows, int cols, const char *name) {
    m->w = m->w0 = w;
    m->q = NULL;
    m->rows = rows;
    m->cols = cols;
    m->name = name;
}

/* Point every weight into the float area `p`, in file order. */
static vsq_status assign_weights(llm_model *m, const float *p) {
    const llm_config *c = &m->cfg;
    int L = c->n_layers, d = c->dim, h = c->hidden_dim, hs = d / c->n_heads;
    int kv = hs * c->n_kv_heads;
    llm_mat **mats[7] = {&m->wq, &m->wk, &m->wv, &m->wo, &m->w1, &m->w2, &m->w3};
    for (int i = 0; i < 7; i++) {
        *mats[i] = calloc((size_t)L, sizeof(llm_mat));
        if (!*mats[i]) return vsq_error(VSQ_ENOMEM, "llm: out of memory for layer table");
    }
    m->tok_emb = p;
    p += (size_t)c->vocab_size * d;
    m->rms_att = p;
    p += (size_t)L * d;
    for (int l = 0; l < L; l++, p += (size_t)d * d) set_mat(&m->wq[l], p, d, d, "wq");
    for (int l = 0; l < L; l++, p += (size_t)kv * d) set_mat(&m->wk[l], p, kv, d, "wk");
    for (int l = 0; l < L; l++, p += (size_t)kv * d) set_mat(&m->wv[l], p, kv, d, "wv");
    for (int l = 0; l < L; l++, p += (size_t)d * d) set_mat(&m->wo[l], p, d, d, "wo");
    m->rms_ffn = p;
    p += (size_t)L * d;
    for (int l = 0; l < L; l++, p += (size_t)h * d) set_mat(&m->w1[l], p, h, d, "w1");
    for (int l = 0; l < L; l++, p += (size_t)d * h) set_mat(&m->w2[l], p, d, h, "w2");
    for (int l = 0; l < L; l++, p += (size_t)h * d) set_mat(&m->w3[l], p, h, d, "w3");
    m->rms_final = p;
    p += d;
    p += (size_t)c->seq_len * hs; /* legacy freq_cis tables */
    set_mat(&m->cls, c->shared_cls ? m->tok_emb : p, c->vocab_size, d, "cls");
    return VSQ_OK;
}

vsq_status llm_parse(const void *buf, size_t len, const char *what, llm_model *m) {
    memset(m, 0, sizeof *m);
    if (len < HEADER_INTS * sizeof(int32_t))
        return vsq_error(VSQ_EFORMAT, "%s: truncated header (%zu bytes)", what, len);
    int32_t h[HEADER_INTS];
    memcpy(h, buf, sizeof h);
    llm_config *c = &m->cfg;
    c->dim = h[0];
    c->hidden_dim = h[1];
    c->n_layers = h[2];
    c->n_heads = h[3];
    c->n_kv_heads = h[4];
    c->shared_cls = h[5] > 0;
    c->vocab_size = h[5] == INT32_MIN ? 0 : abs(h[5]);
    c->seq_len = h[6];
    vsq_status st = check_config(c, what);
    if (st) return st;
    size_t n_floats, want;
    if (expected_floats(c, &n_floats) || vsq_mul_size(n_floats, sizeof(float), &want) ||
        vsq_add_size(want, sizeof h, &want))
        return vsq_error(VSQ_EFORMAT, "%s: header dimensions overflow the size arithmetic", what);
    if (len != want)
        return vsq_error(VSQ_EFORMAT, "%s: %s file: %zu bytes, header implies %zu", what,
                         len < want ? "truncated" : "oversized", len, want);
    if (((uintptr_t)buf % sizeof(float)) != 0)
        return vsq_error(VSQ_EINVAL, "%s: buffer not 4-byte aligned", what);
    st = assign_weights(m, (const float *)((const char *)buf + sizeof h));
    if (st) llm_free(m);
    return st;
}

vsq_status llm_load(const char *path, llm_model *m) {
    memset(m, 0, sizeof *m);
    void *map;
    size_t len;
    vsq_status st = vsq_map_file(path, &map, &len);
    if (st) return st;
    st = llm_parse(map, len, path, m);
    if (st) {
        munmap(map, len);
        return st;
    }
    m->map = map;
    m->map_size = len;
    return VSQ_OK;
}

void llm_free(llm_model *m) {
    llm_unquantize(m);
    llm_gptq_free(m);
    llm_mat *mats[7] = {m->wq, m->wk, m->wv, m->wo, m->w1, m->w2, m->w3};
    for (int i = 0; i < 7; i++) free(mats[i]);
    if (m->map) munmap(m->map, m->map_size);
    memset(m, 0, sizeof *m);
}
