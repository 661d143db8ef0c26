/* Load a Hugging Face BERT checkpoint: config.json for the dimensions,
 * model.safetensors for the weights (names without the "bert." prefix, as
 * sentence-transformers saves them; Linear weights are [out, in]). Every
 * tensor is read with the shape the config implies, so a mismatch is an
 * error naming the file, the tensor and both shapes (safetensors.c). */
#include "models/bert/bert.h"
#include "vsq/safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const KIND[BERT_N_LIN] = {"query", "key", "value",
                                             "attn_out", "ffn_in", "ffn_out"};
/* Tensor name prefix of each Linear kind inside encoder.layer.N. */
static const char *const HF_NAME[BERT_N_LIN] = {
    "attention.self.query", "attention.self.key", "attention.self.value",
    "attention.output.dense", "intermediate.dense", "output.dense"};

const char *bert_lin_kind(int kind) { return kind >= 0 && kind < BERT_N_LIN ? KIND[kind] : "?"; }

int bert_n_lin(const bert_model *m) { return m->cfg.n_layers * BERT_N_LIN; }

bert_linear *bert_lin(const bert_model *m, int i) {
    return &m->layers[i / BERT_N_LIN].lin[i % BERT_N_LIN];
}

/* An integer field in [lo, hi]. */
static vsq_status int_field(const vsq_hf_config *c, const char *key, long lo, long hi, int *out) {
    long v;
    vsq_status st = vsq_hf_config_int(c, key, &v);
    if (st) return st;
    if (v < lo || v > hi)
        return vsq_error(VSQ_EFORMAT, "%s: field \"%s\" = %ld is outside [%ld, %ld]", c->path, key,
                         v, lo, hi);
    *out = (int)v;
    return VSQ_OK;
}

vsq_status bert_config_load(const char *path, bert_config *cfg) {
    vsq_hf_config c;
    vsq_status st = vsq_hf_config_load(path, &c);
    if (st) return st;
    memset(cfg, 0, sizeof *cfg);
    double eps = 0.0;
    const char *act = NULL;
    if (!st) st = int_field(&c, "hidden_size", 1, 1 << 16, &cfg->hidden);
    if (!st) st = int_field(&c, "num_hidden_layers", 1, 1024, &cfg->n_layers);
    if (!st) st = int_field(&c, "num_attention_heads", 1, 1024, &cfg->n_heads);
    if (!st) st = int_field(&c, "intermediate_size", 1, 1 << 18, &cfg->ffn);
    if (!st) st = int_field(&c, "max_position_embeddings", 1, 1 << 16, &cfg->max_pos);
    if (!st) st = int_field(&c, "type_vocab_size", 1, 1 << 16, &cfg->type_vocab);
    if (!st) st = int_field(&c, "vocab_size", 1, 1 << 22, &cfg->vocab);
    if (!st) st = vsq_hf_config_double(&c, "layer_norm_eps", &eps);
    if (!st) st = vsq_hf_config_string(&c, "hidden_act", &act);
    if (!st && !(eps > 0.0 && eps < 1.0))
        st = vsq_error(VSQ_EFORMAT, "%s: field \"layer_norm_eps\" = %g is not in (0, 1)", path, eps);
    if (!st && strcmp(act, "gelu") != 0)
        st = vsq_error(VSQ_EUNSUPPORTED,
                       "%s: field \"hidden_act\" is \"%.40s\"; only \"gelu\" (erf) is supported",
                       path, act);
    if (!st && cfg->hidden % cfg->n_heads != 0)
        st = vsq_error(VSQ_EFORMAT, "%s: hidden_size %d is not a multiple of num_attention_heads %d",
                       path, cfg->hidden, cfg->n_heads);
    cfg->ln_eps = (float)eps;
    vsq_hf_config_free(&c);
    return st;
}

/* Read tensor `name` with the given shape (1-d when d1 == 0). */
static vsq_status get(const vsq_safetensors *st, const char *name, size_t d0, size_t d1,
                      float **out) {
    size_t shape[2] = {d0, d1};
    return vsq_safetensors_get_f32(st, name, d1 ? 2 : 1, shape, out);
}

static vsq_status load_layer(const vsq_safetensors *st, const bert_config *c, int l,
                             bert_layer *L) {
    size_t h = (size_t)c->hidden, f = (size_t)c->ffn;
    char name[160];
    vsq_status s = VSQ_OK;
    for (int k = 0; k < BERT_N_LIN && !s; k++) {
        bert_linear *lin = &L->lin[k];
        lin->rows = (int)(k == BERT_F1 ? f : h);
        lin->cols = (int)(k == BERT_F2 ? f : h);
        lin->id = l * BERT_N_LIN + k;
        snprintf(lin->name, sizeof lin->name, "layer %d %s", l, KIND[k]);
        snprintf(name, sizeof name, "encoder.layer.%d.%s.weight", l, HF_NAME[k]);
        s = get(st, name, (size_t)lin->rows, (size_t)lin->cols, &lin->w0);
        snprintf(name, sizeof name, "encoder.layer.%d.%s.bias", l, HF_NAME[k]);
        if (!s) s = get(st, name, (size_t)lin->rows, 0, &lin->b);
        lin->w = lin->w0;
    }
    snprintf(name, sizeof name, "encoder.layer.%d.attention.output.LayerNorm.weight", l);
    if (!s) s = get(st, name, h, 0, &L->ln1_g);
    snprintf(name, sizeof name, "encoder.layer.%d.attention.output.LayerNorm.bias", l);
    if (!s) s = get(st, name, h, 0, &L->ln1_b);
    snprintf(name, sizeof name, "encoder.layer.%d.output.LayerNorm.weight", l);
    if (!s) s = get(st, name, h, 0, &L->ln2_g);
    snprintf(name, sizeof name, "encoder.layer.%d.output.LayerNorm.bias", l);
    if (!s) s = get(st, name, h, 0, &L->ln2_b);
    return s;
}

static vsq_status load_weights(const vsq_safetensors *st, bert_model *m) {
    const bert_config *c = &m->cfg;
    size_t h = (size_t)c->hidden;
    vsq_status s = get(st, "embeddings.word_embeddings.weight", (size_t)c->vocab, h, &m->word_emb);
    if (!s) s = get(st, "embeddings.position_embeddings.weight", (size_t)c->max_pos, h, &m->pos_emb);
    if (!s)
        s = get(st, "embeddings.token_type_embeddings.weight", (size_t)c->type_vocab, h,
                &m->type_emb);
    if (!s) s = get(st, "embeddings.LayerNorm.weight", h, 0, &m->emb_ln_g);
    if (!s) s = get(st, "embeddings.LayerNorm.bias", h, 0, &m->emb_ln_b);
    m->layers = s ? NULL : calloc((size_t)c->n_layers, sizeof *m->layers);
    if (!s && !m->layers) s = vsq_error(VSQ_ENOMEM, "bert: out of memory for %d layers", c->n_layers);
    for (int l = 0; l < c->n_layers && !s; l++) s = load_layer(st, c, l, &m->layers[l]);
    return s;
}

vsq_status bert_load(const char *dir, bert_model *m) {
    memset(m, 0, sizeof *m);
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    vsq_status s = bert_config_load(path, &m->cfg);
    if (s) return s;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    vsq_safetensors st;
    if ((s = vsq_safetensors_open(path, &st))) return s;
    s = load_weights(&st, m);
    vsq_safetensors_close(&st);
    if (s) bert_free(m);
    return s;
}

void bert_free(bert_model *m) {
    bert_unquantize(m);
    free(m->word_emb), free(m->pos_emb), free(m->type_emb);
    free(m->emb_ln_g), free(m->emb_ln_b);
    for (int l = 0; m->layers && l < m->cfg.n_layers; l++) {
        bert_layer *L = &m->layers[l];
        for (int k = 0; k < BERT_N_LIN; k++) free(L->lin[k].w0), free(L->lin[k].b);
        free(L->ln1_g), free(L->ln1_b), free(L->ln2_g), free(L->ln2_b);
    }
    free(m->layers);
    memset(m, 0, sizeof *m);
}
