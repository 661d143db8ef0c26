/* Post-training VS-Quant quantization of the LLM's linear layers.
 *
 * Weights are static: each matrix (rows = output features) is fake-
 * quantized once with vectors along the input dimension and one coarse
 * channel per output row, and the forward pass uses the copy. Activations
 * are dynamic: the input row of every linear layer is quantized per token
 * at run time (transformer.c). With `integer`, the weights are kept only as
 * integers: packed once for the fast kernels (vsq_linear_q) when the
 * weight/activation formats allow it, else as unpacked codes + scales
 * (vsq_qtensor) for the reference GEMM (llm_matmul_q). No float copy.
 */
#include "models/llm/llm.h"
#include "quant/quant_internal.h" /* vsq_f32_to_f16 / vsq_f16_to_f32 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every linear layer, classifier last. Returns the count. */
static int all_mats(llm_model *m, llm_mat **out) {
    int n = 0;
    llm_mat *groups[7] = {m->wq, m->wk, m->wv, m->wo, m->w1, m->w2, m->w3};
    for (int g = 0; g < 7; g++)
        for (int l = 0; groups[g] && l < m->cfg.n_layers; l++) out[n++] = &groups[g][l];
    out[n++] = &m->cls;
    return n;
}

/* "fp16": weights rounded to IEEE binary16 and their inputs too -- how
 * ggml multiplies an F16 matrix (its vec_dot type is F16) on the CPU. */
static int is_fp16(const char *spec) { return spec && !strcmp(spec, "fp16"); }

static vsq_status round_mat_f16(llm_model *m, llm_mat *w) {
    size_t numel = (size_t)w->rows * (size_t)w->cols;
    float *copy = malloc(numel * sizeof(float));
    if (!copy) return vsq_error(VSQ_ENOMEM, "llm: out of memory rounding %s to fp16", w->name);
    m->owned[m->n_owned++] = copy;
    for (size_t i = 0; i < numel; i++) copy[i] = vsq_f16_to_f32(vsq_f32_to_f16(w->w0[i]));
    w->w = copy;
    w->quantized = 1;
    w->f16 = 1;
    return VSQ_OK;
}

static int is_fp32(const char *spec) {
    return !spec || !*spec || !strcmp(spec, "fp32") || !strcmp(spec, "none");
}

void llm_unquantize(llm_model *m) {
    for (size_t i = 0; i < m->n_owned; i++) free(m->owned[i]);
    free(m->owned);
    m->owned = NULL;
    m->n_owned = 0;
    if (m->wq) {
        llm_mat **mats = malloc((size_t)(7 * m->cfg.n_layers + 1) * sizeof *mats);
        int n = mats ? all_mats(m, mats) : 0;
        for (int i = 0; i < n; i++) {
            mats[i]->w = mats[i]->w0;
            mats[i]->quantized = 0;
            mats[i]->f16 = 0;
            if (mats[i]->q) vsq_qtensor_free(mats[i]->q);
            free(mats[i]->q);
            mats[i]->q = NULL;
            vsq_packed_w_free(mats[i]->pw);
            free(mats[i]->pw);
            mats[i]->pw = NULL;
        }
        free(mats);
    }
    if (m->tok_emb0) m->tok_emb = m->tok_emb0;
    m->has_a = 0;
    m->a_quantized_only = 0;
    m->kv_f16 = 0;
    m->integer_path = 0;
    m->n_packed = m->n_ref = 0;
    m->kernel_note[0] = 0;
}

/* Re-raise the last error with a prefix naming the context (the message
 * is copied first: vsq_error writes the buffer vsq_last_error reads). */
static vsq_status prefix_error(vsq_status st, const char *ctx) {
    char prev[512];
    snprintf(prev, sizeof prev, "%s", vsq_last_error());
    return vsq_error(st, "%s: %s", ctx, prev);
}

/* Why the packed kernels cannot multiply weights `wf` by activations
 * `af` (NULL if they can): they need per-vector formats of one V in
 * {16,32,64}, both two-level or both single-level (kernels.h). */
static const char *packed_unsupported(const vsq_format *wf, const vsq_format *af) {
    if (wf->gran != VSQ_GRAN_VECTOR || af->gran != VSQ_GRAN_VECTOR)
        return "per-channel/per-tensor scales";
    if (wf->vec_len != 16 && wf->vec_len != 32 && wf->vec_len != 64) return "V not 16/32/64";
    if (wf->vec_len != af->vec_len) return "weight and activation V differ";
    if ((wf->scale == VSQ_SCALE_TWO_LEVEL) != (af->scale == VSQ_SCALE_TWO_LEVEL))
        return "two-level mixed with float per-vector scales";
    return NULL;
}

/* Record the first reason a matrix falls back to the reference kernel. */
static void note_fallback(llm_model *m, const llm_mat *w, const char *why) {
    m->n_ref++;
    if (!m->kernel_note[0])
        snprintf(m->kernel_note, sizeof m->kernel_note, "%s: %s", w->name, why);
}

/* Quantize one matrix: GPTQ rounding when its Hessian was calibrated,
 * plain rounding otherwise. */
static vsq_status quantize_weights(const llm_mat *w, const vsq_format *fmt, vsq_qtensor *q) {
    size_t rows = (size_t)w->rows, cols = (size_t)w->cols;
    if (w->hessian) return vsq_quantize_gptq(fmt, w->w0, rows, cols, rows, w->hessian, 0.01, q);
    return vsq_quantize(fmt, w->w0, rows, cols, rows, q);
}

/* Integer path: quantize once (the same codes on both kernels, so they
 * agree bit for bit), then pack for the fast kernels and drop the
 * unpacked copy, or keep it for the reference GEMM. */
static vsq_status pack_mat(llm_model *m, llm_mat *w, const vsq_format *fmt,
                           const vsq_format *af, int kernel) {
    w->q = calloc(1, sizeof *w->q);
    if (!w->q) return vsq_error(VSQ_ENOMEM, "llm: out of memory packing %s", w->name);
    vsq_status st = quantize_weights(w, fmt, w->q);
    if (st) {
        free(w->q);
        w->q = NULL;
        return st;
    }
    if (kernel == LLM_KERNEL_REF) {
        m->n_ref++;
        return VSQ_OK;
    }
    const char *why = packed_unsupported(fmt, af);
    if (why) {
        note_fallback(m, w, why);
        return VSQ_OK;
    }
    w->pw = calloc(1, sizeof *w->pw);
    if (!w->pw) return vsq_error(VSQ_ENOMEM, "llm: out of memory packing %s", w->name);
    st = vsq_pack_weights(w->q, w->pw);
    if (st == VSQ_EUNSUPPORTED) { /* a format detail the packer refuses */
        free(w->pw);
        w->pw = NULL;
        note_fallback(m, w, vsq_last_error());
        return VSQ_OK;
    }
    if (st) return st;
    vsq_qtensor_free(w->q);
    free(w->q);
    w->q = NULL;
    m->n_packed++;
    return VSQ_OK;
}

/* Fake-quantize one matrix into a new owned buffer, or pack it. */
static vsq_status quantize_mat(llm_model *m, llm_mat *w, const vsq_format *fmt,
                               const vsq_format *af, int integer, int kernel, int layer) {
    vsq_status st;
    if (integer) {
        st = pack_mat(m, w, fmt, af, kernel);
    } else {
        size_t rows = (size_t)w->rows, cols = (size_t)w->cols;
        float *copy = malloc(rows * cols * sizeof(float));
        if (!copy) return vsq_error(VSQ_ENOMEM, "llm: out of memory quantizing %s", w->name);
        m->owned[m->n_owned++] = copy;
        vsq_qtensor qt;
        st = quantize_weights(w, fmt, &qt);
        if (!st) {
            st = vsq_dequantize(&qt, copy);
            vsq_qtensor_free(&qt);
        }
        if (!st) w->w = copy;
    }
    if (!st) w->quantized = 1;
    if (st) {
        char ctx[64];
        snprintf(ctx, sizeof ctx, "llm: quantizing %s (layer %d)", w->name, layer);
        return prefix_error(st, ctx);
    }
    return VSQ_OK;
}

static vsq_status parse_opt(const char *spec, const char *what, vsq_format *f, int *on) {
    *on = !is_fp32(spec);
    if (!*on) return VSQ_OK;
    vsq_status st = vsq_format_parse(spec, f);
    if (st) {
        char ctx[160];
        snprintf(ctx, sizeof ctx, "%s", what);
        return prefix_error(st, ctx);
    }
    return VSQ_OK;
}

/* Spec of matrix `name` ("wq".."w3", "cls", "emb"): a per-name override
 * from o->w_set ("wv=SPEC,w2=SPEC"), else w_cls for the classifier, else w
 * (the embedding has no default: fp32). Writes into buf; NULL for fp32. */
const char *llm_spec_for(const llm_quant_opts *o, const char *name, char *buf, size_t size) {
    size_t k = strlen(name);
    for (const char *p = o->w_set; p && *p;) {
        if (!strncmp(p, name, k) && p[k] == '=') {
            const char *v = p + k + 1, *end = strchr(v, ',');
            size_t n = end ? (size_t)(end - v) : strlen(v);
            snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), v);
            return is_fp32(buf) ? NULL : buf;
        }
        p = strchr(p, ',');
        if (p) p++;
    }
    if (!strcmp(name, "emb")) return NULL;
    const char *s = !strcmp(name, "cls") && o->w_cls ? o->w_cls : o->w;
    return is_fp32(s) ? NULL : s;
}

/* Every name in o->w_set must be a matrix name. */
static vsq_status check_w_set(const char *set) {
    static const char *NAMES[] = {"wq", "wk", "wv", "wo", "w1", "w2", "w3", "cls", "emb"};
    for (const char *p = set; p && *p;) {
        const char *eq = strchr(p, '=');
        int ok = 0;
        for (int i = 0; eq && i < 9; i++)
            ok |= (size_t)(eq - p) == strlen(NAMES[i]) && !strncmp(p, NAMES[i], strlen(NAMES[i]));
        if (!ok)
            return vsq_error(VSQ_EINVAL,
                             "--w-set: '%.40s' is not NAME=SPEC with NAME one of "
                             "wq wk wv wo w1 w2 w3 cls emb",
                             p);
        p = strchr(p, ',');
        if (p) p++;
    }
    return VSQ_OK;
}

/* The token embedding is a lookup table: a quantized table is used
 * dequantized (as llama.cpp's get_rows does), so fake-quantization is exact
 * on both paths. Tied: the classifier's own codes (same function, same
 * format, same Hessian, hence the same codes as the classifier got). */
static vsq_status quantize_embedding(llm_model *m, const llm_quant_opts *o) {
    char buf[128];
    const char *spec = llm_spec_for(o, o->tie_emb ? "cls" : "emb", buf, sizeof buf);
    if (!spec) return VSQ_OK;
    if (o->tie_emb && m->cls.quantized && !m->cls.q && !m->cls.pw) {
        m->tok_emb = m->cls.w; /* fake-quant path: the classifier's copy */
        return VSQ_OK;
    }
    if (is_fp16(spec)) { /* an F16 table, read as float */
        llm_mat e = {.w0 = m->tok_emb0, .rows = m->cfg.vocab_size, .cols = m->cfg.dim,
                     .name = "emb"};
        vsq_status st = round_mat_f16(m, &e);
        if (!st) m->tok_emb = e.w;
        return st;
    }
    vsq_format f;
    int on;
    vsq_status st = parse_opt(spec, o->tie_emb ? "weight (cls)" : "weight (emb)", &f, &on);
    if (st || !on) return st;
    llm_mat e = o->tie_emb ? m->cls : (llm_mat){0};
    if (!o->tie_emb) {
        e.w = e.w0 = m->tok_emb0;
        e.rows = m->cfg.vocab_size;
        e.cols = m->cfg.dim;
        e.name = "emb";
    }
    e.q = NULL;
    e.pw = NULL;
    size_t numel = (size_t)e.rows * (size_t)e.cols;
    float *copy = malloc(numel * sizeof(float));
    if (!copy) return vsq_error(VSQ_ENOMEM, "llm: out of memory quantizing the embedding");
    m->owned[m->n_owned++] = copy;
    vsq_qtensor qt;
    st = quantize_weights(&e, &f, &qt);
    if (!st) {
        st = vsq_dequantize(&qt, copy);
        vsq_qtensor_free(&qt);
    }
    if (st) return prefix_error(st, "llm: quantizing the token embedding");
    m->tok_emb = copy;
    return VSQ_OK;
}

vsq_status llm_quantize(llm_model *m, const llm_quant_opts *o) {
    llm_unquantize(m);
    m->tok_emb0 = m->tok_emb;
    if (o->tie_emb && !m->cfg.shared_cls)
        return vsq_error(VSQ_EINVAL, "llm: --tie-emb needs a checkpoint with a shared classifier "
                                     "(this one stores its own)");
    if (o->tie_emb && o->w_set && strstr(o->w_set, "emb="))
        return vsq_error(VSQ_EINVAL, "llm: --tie-emb and an emb= format exclude each other "
                                     "(tied, the embedding is the classifier)");
    vsq_format af;
    memset(&af, 0, sizeof af);
    int a_on;
    if (o->kernel != LLM_KERNEL_PACKED && o->kernel != LLM_KERNEL_REF)
        return vsq_error(VSQ_EINVAL, "llm: unknown integer kernel %d", o->kernel);
    vsq_status st = check_w_set(o->w_set);
    if (!st) st = parse_opt(o->a, "activation", &af, &a_on);
    if (!st && o->gptq_tokens > 0) st = llm_gptq_calibrate(m, o->gptq_tokens, o->gptq_seed);
    if (!st && o->gptq_tokens <= 0) llm_gptq_free(m); /* plain rounding: no stale Hessians */
    if (st) return st;
    int cap = 7 * m->cfg.n_layers + 2; /* + the embedding */
    llm_mat **mats = malloc((size_t)cap * sizeof *mats);
    m->owned = calloc((size_t)cap, sizeof(float *));
    if (!mats || !m->owned) {
        free(mats);
        return vsq_error(VSQ_ENOMEM, "llm: out of memory");
    }
    int n = all_mats(m, mats);
    for (int i = 0; i < n && !st; i++) {
        char buf[128], what[32];
        const char *spec = llm_spec_for(o, mats[i]->name, buf, sizeof buf);
        vsq_format f;
        int on;
        snprintf(what, sizeof what, "weight (%s)", mats[i]->name);
        if (is_fp16(spec)) {
            st = round_mat_f16(m, mats[i]);
            continue;
        }
        st = parse_opt(spec, what, &f, &on);
        if (!st && on)
            st = quantize_mat(m, mats[i], &f, &af, o->integer && a_on, o->kernel,
                              i % m->cfg.n_layers);
    }
    free(mats);
    if (!st) st = quantize_embedding(m, o);
    if (!st && o->integer && (!a_on || !o->w))
        st = vsq_error(VSQ_EINVAL, "llm: the integer path needs both --w and --a formats");
    if (st) {
        llm_unquantize(m);
        return st;
    }
    m->has_a = a_on;
    m->afmt = af;
    m->a_quantized_only = o->a_quantized_only;
    m->kv_f16 = o->kv_f16;
    m->integer_path = o->integer;
    return VSQ_OK;
}

void llm_kernel_report(const llm_model *m, int kernel) {
    if (kernel == LLM_KERNEL_REF) {
        fprintf(stderr, "integer path: %d matrices on the reference kernel (vsq_gemm_ref)\n",
                m->n_ref);
        return;
    }
    fprintf(stderr, "integer path: %d matrices on packed kernels (%s)", m->n_packed,
            vsq_isa_name(vsq_isa_active()));
    if (m->n_ref)
        fprintf(stderr, "; note: %d fell back to the reference kernel (%s)", m->n_ref,
                m->kernel_note);
    fputc('\n', stderr);
}
