/* GPTQ calibration for the LLM: the Hessian X^T X of every linear layer's
 * inputs, gathered while the fp32 model generates its own text.
 *
 * Self-generated text keeps the evaluation text out of calibration (the
 * shared TinyStories prefix is what perplexity is measured on) and needs
 * no other corpus. All Hessians come from the fp32 model in one pass, so
 * every layer is calibrated on unquantized inputs. */
#include <stdlib.h>
#include <string.h>

#include "models/llm/llm.h"

enum { CALIB_SEQ_LEN = 256 };

static int n_mats(const llm_model *m) { return 7 * m->cfg.n_layers + 1; }

static llm_mat *mat_at(llm_model *m, int i) {
    llm_mat *groups[7] = {m->wq, m->wk, m->wv, m->wo, m->w1, m->w2, m->w3};
    int l = m->cfg.n_layers;
    return i == 7 * l ? &m->cls : &groups[i / l][i % l];
}

void llm_gptq_free(llm_model *m) {
    if (!m->wq) return;
    for (int i = 0; i < n_mats(m); i++) {
        llm_mat *w = mat_at(m, i);
        free(w->hessian);
        w->hessian = NULL;
    }
}

/* H += x x^T (upper triangle; mirrored once at the end). */
static void accumulate(void *ctx, const llm_mat *w, const float *x) {
    (void)ctx;
    double *h = w->hessian;
    int n = w->cols;
    for (int i = 0; i < n; i++) {
        double xi = x[i];
        if (xi == 0.0) continue;
        for (int j = i; j < n; j++) h[(size_t)i * n + j] += xi * x[j];
    }
}

static void mirror(double *h, int n) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) h[(size_t)i * n + j] = h[(size_t)j * n + i];
}

/* Generate n_tokens from BOS, restarting a sequence at BOS/EOS or after
 * CALIB_SEQ_LEN positions; the capture hook sees every linear input. */
static vsq_status generate_calibration(llm_model *m, int n_tokens, uint64_t seed) {
    llm_state s;
    llm_sampler smp;
    vsq_status st = llm_state_init(&s, &m->cfg);
    if (st) return st;
    if ((st = llm_sampler_init(&smp, m->cfg.vocab_size, 1.0f, 0.0f, seed))) {
        llm_state_free(&s);
        return st;
    }
    int token = LLM_BOS, pos = 0, len = m->cfg.seq_len < CALIB_SEQ_LEN ? m->cfg.seq_len : CALIB_SEQ_LEN;
    for (int t = 0; t < n_tokens && !st; t++) {
        float *logits = llm_forward(m, &s, token, pos);
        if (!logits) {
            st = VSQ_EINVAL;
            break;
        }
        token = llm_sample(&smp, logits);
        if (++pos == len || token == LLM_BOS || token == LLM_EOS) {
            token = LLM_BOS;
            pos = 0;
        }
    }
    llm_sampler_free(&smp);
    llm_state_free(&s);
    return st;
}

vsq_status llm_gptq_calibrate(llm_model *m, int n_tokens, uint64_t seed) {
    if (n_tokens < 1) return vsq_error(VSQ_EINVAL, "gptq: calibration needs at least 1 token");
    if (m->integer_path || m->has_a || m->n_owned)
        return vsq_error(VSQ_EINVAL, "gptq: calibrate the fp32 model, before quantizing");
    llm_gptq_free(m);
    for (int i = 0; i < n_mats(m); i++) {
        llm_mat *w = mat_at(m, i);
        w->hessian = calloc((size_t)w->cols * (size_t)w->cols, sizeof *w->hessian);
        if (!w->hessian) {
            llm_gptq_free(m);
            return vsq_error(VSQ_ENOMEM, "gptq: out of memory for the %s Hessian", w->name);
        }
    }
    m->capture = accumulate;
    m->capture_ctx = NULL;
    vsq_status st = generate_calibration(m, n_tokens, seed);
    m->capture = NULL;
    if (st) {
        llm_gptq_free(m);
        return st;
    }
    for (int i = 0; i < n_mats(m); i++) mirror(mat_at(m, i)->hessian, mat_at(m, i)->cols);
    return VSQ_OK;
}
