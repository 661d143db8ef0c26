/* Bits per weight of a quantized LLM, counted over every stored weight
 * matrix: the seven linear kinds of every layer, the classifier, and the
 * token embedding -- unless the embedding is tied (`tie_emb`: read from the
 * quantized classifier, as llama.cpp does for a model without an output
 * matrix), in which case the one table is stored and counted once, as the
 * classifier. The RMSNorm gains are reported apart (fp32, a few thousand
 * values) and are not part of bpw. Scale overhead is included through
 * vsq_format_bits_per_elem with the same row/column layout the quantizer
 * uses (rows = output features, vectors along the input dimension).
 */
#include "models/llm/llm.h"
#include "vsq/gguf.h"

#include <stdio.h>
#include <string.h>

static const char *KIND_NAMES[LLM_N_KINDS] = {"wq", "wk", "wv", "wo", "w1",
                                              "w2", "w3", "cls", "emb"};

/* Bits of one rows x cols matrix stored in `spec` (NULL: fp32). */
static vsq_status matrix_bits(const char *spec, const char *name, int rows, int cols,
                              double *bits) {
    double numel = (double)rows * (double)cols;
    if (!spec) {
        *bits = 32.0 * numel;
        return VSQ_OK;
    }
    if (!strcmp(spec, "fp16")) {
        *bits = 16.0 * numel;
        return VSQ_OK;
    }
    vsq_format f;
    if (vsq_format_parse(spec, &f))
        return vsq_error(VSQ_EINVAL, "bpw: bad format for %s: %s", name, vsq_last_error());
    *bits = numel * vsq_format_bits_per_elem(&f, (size_t)rows, (size_t)cols, (size_t)rows);
    return VSQ_OK;
}

/* GGUF as-stored path: a matrix without a vsquant format that runs on its
 * file blocks is counted at the blocks' size (Q4_1: 20 bytes / 32 weights
 * = 5 bits, Q8_0: 8.5 bits). Returns 0 when that does not apply. */
static int stored_bits(const llm_model *m, const llm_mat *w, const char *spec, char *name,
                       size_t cap, double *bits_per_weight) {
    if (spec || !m->run_stored || !w->blocks) return 0;
    size_t blk = vsq_ggml_block_size((vsq_ggml_type)w->block_type);
    size_t bytes = vsq_ggml_type_size((vsq_ggml_type)w->block_type);
    if (!blk) return 0;
    *bits_per_weight = 8.0 * (double)bytes / (double)blk;
    snprintf(name, cap, "stored:%s", vsq_ggml_type_name((vsq_ggml_type)w->block_type));
    return 1;
}

vsq_status llm_bits_count(const llm_model *m, const llm_quant_opts *o, llm_bits *b) {
    memset(b, 0, sizeof *b);
    const llm_config *c = &m->cfg;
    const llm_mat *groups[7] = {m->wq, m->wk, m->wv, m->wo, m->w1, m->w2, m->w3};
    double lin_bits = 0.0, lin_elems = 0.0;
    for (int k = 0; k < LLM_N_KINDS; k++) {
        llm_tensor_bits *t = &b->kind[k];
        t->name = KIND_NAMES[k];
        char buf[128];
        const char *spec = llm_spec_for(o, t->name, buf, sizeof buf);
        snprintf(t->spec, sizeof t->spec, "%s", spec ? spec : "fp32");
        /* GGUF files without output.weight store the table once */
        int tied = o->tie_emb || (m->run_stored && c->shared_cls && m->cls.blocks && !spec);
        if (k == 8 && tied) { /* stored once, as the classifier */
            snprintf(t->spec, sizeof t->spec, "tied:cls");
            t->count = 1;
            continue;
        }
        int rows = k < 7 ? groups[k][0].rows : c->vocab_size;
        int cols = k < 7 ? groups[k][0].cols : c->dim;
        t->count = k < 7 ? c->n_layers : 1;
        double one = 0.0, per = 0.0;
        const llm_mat *w = k < 7 ? &groups[k][0] : &m->cls;
        if (k < 8 && stored_bits(m, w, spec, t->spec, sizeof t->spec, &per)) {
            one = per * rows * cols;
        } else {
            vsq_status st = matrix_bits(spec, t->name, rows, cols, &one);
            if (st) return st;
        }
        t->bits = one * t->count;
        t->elems = (double)rows * cols * t->count;
        if (k < 8) {
            lin_bits += t->bits;
            lin_elems += t->elems;
        }
    }
    double bits = 0.0, elems = 0.0;
    for (int k = 0; k < LLM_N_KINDS; k++) {
        bits += b->kind[k].bits;
        elems += b->kind[k].elems;
    }
    b->bpw = bits / elems;
    b->bpw_linear = lin_bits / lin_elems;
    b->norm_elems = 2.0 * c->n_layers * c->dim + c->dim;
    return VSQ_OK;
}

double llm_bpw(const llm_model *m, const llm_quant_opts *o) {
    llm_bits b;
    return llm_bits_count(m, o, &b) ? 0.0 : b.bpw;
}
