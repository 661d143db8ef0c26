/* Perplexity with the protocol of llama.cpp's perplexity tool, so numbers
 * compare directly with it: the whole text is tokenized once (BOS first),
 * cut into non-overlapping windows of `ctx` tokens, each window's first
 * token is replaced by BOS (for models that add one), and only the second half is scored (logits at
 * positions ctx/2 .. ctx-2 predicting the next token: ctx/2 - 1 tokens per
 * window). Every window starts from an empty KV cache, so windows are
 * independent and run in parallel (OpenMP).
 */
#include "models/llm/llm.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -log softmax(logits)[target], in double. */
static double token_nll(const float *logits, int n, int target) {
    float max = logits[0];
    for (int i = 1; i < n; i++)
        if (logits[i] > max) max = logits[i];
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += exp((double)logits[i] - max);
    return log(sum) - ((double)logits[target] - max);
}

/* Sum of NLL over the scored positions of one window. */
static vsq_status score_window(const llm_model *m, llm_state *s, const int *tok, int ctx, int first,
                               int bos, double *nll) {
    double sum = 0.0;
    for (int j = 0; j + 1 < ctx; j++) {
        float *logits = llm_forward(m, s, j == 0 && bos >= 0 ? bos : tok[j], j);
        if (!logits) return VSQ_EINVAL;
        if (j >= first) sum += token_nll(logits, m->cfg.vocab_size, tok[j + 1]);
    }
    *nll = sum;
    return VSQ_OK;
}

vsq_status llm_perplexity(const llm_model *m, const int *tokens, size_t n_tokens,
                          const llm_ppl_opts *o, llm_ppl_result *r) {
    memset(r, 0, sizeof *r);
    int ctx = o->ctx > 0 ? o->ctx : 512;
    if (ctx < 2 || ctx > m->cfg.seq_len)
        return vsq_error(VSQ_EINVAL, "perplexity: window %d outside 2..%d (model context)", ctx,
                         m->cfg.seq_len);
    size_t nw = n_tokens / (size_t)ctx;
    if (o->limit_windows > 0 && (size_t)o->limit_windows < nw) nw = (size_t)o->limit_windows;
    if (nw == 0)
        return vsq_error(VSQ_EINVAL, "perplexity: %zu tokens, fewer than one %d-token window",
                         n_tokens, ctx);
    for (size_t i = 0; i < nw * (size_t)ctx; i++)
        if (tokens[i] < 0 || tokens[i] >= m->cfg.vocab_size)
            return vsq_error(VSQ_EINVAL, "perplexity: token %d at %zu out of vocabulary", tokens[i],
                             i);
    int first = o->full_window ? 0 : ctx / 2;
    int bos = o->window_bos == 0 ? LLM_BOS : o->window_bos;
    double *win = calloc(nw, sizeof(double));
    if (!win) return vsq_error(VSQ_ENOMEM, "perplexity: out of memory");
    double t0 = omp_get_wtime();
    vsq_status fail = VSQ_OK;
    char msg[256] = "";
#pragma omp parallel
    {
        llm_state s;
        vsq_status st = llm_state_init(&s, &m->cfg);
#pragma omp for schedule(dynamic)
        for (long w = 0; w < (long)nw; w++) {
            if (!st) st = score_window(m, &s, tokens + (size_t)w * ctx, ctx, first, bos, &win[w]);
        }
        if (st) {
#pragma omp critical
            { /* carry the thread-local message to the caller's thread */
                fail = st;
                snprintf(msg, sizeof msg, "%s", vsq_last_error());
            }
        }
        llm_state_free(&s);
    }
    if (fail) {
        free(win);
        return vsq_error(fail, "%s", msg);
    }
    double sum = 0.0; /* in window order: same result for any thread count */
    for (size_t w = 0; w < nw; w++) sum += win[w];
    free(win);
    r->seconds = omp_get_wtime() - t0;
    r->windows = nw;
    r->positions = nw * (size_t)(ctx - 1);
    r->tokens = nw * (size_t)(ctx - 1 - first);
    r->nll = sum / (double)r->tokens;
    r->ppl = exp(r->nll);
    return VSQ_OK;
}
