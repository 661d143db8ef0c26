/* Text generation: the run loop of llama2.c (prompt tokens are forced,
 * then the sampler picks; a BOS token ends the text). */
#include "models/llm/llm.h"

#include <stdlib.h>
#include <string.h>

vsq_status llm_generate(const llm_model *m, const llm_tokenizer *t, llm_sampler *s,
                        const char *prompt, int steps, llm_emit_fn emit, void *ctx, int *n_out) {
    if (!prompt) prompt = "";
    if (steps <= 0 || steps > m->cfg.seq_len) steps = m->cfg.seq_len;
    int *prompt_tok = malloc((strlen(prompt) + 3) * sizeof(int)), n_prompt = 0;
    if (!prompt_tok) return vsq_error(VSQ_ENOMEM, "generate: out of memory");
    vsq_status st = llm_encode(t, prompt, 1, 0, prompt_tok, &n_prompt);
    if (st) {
        free(prompt_tok);
        return st;
    }
    llm_state state;
    if ((st = llm_state_init(&state, &m->cfg))) {
        free(prompt_tok);
        return st;
    }
    if (n_prompt == 0) {
        free(prompt_tok);
        return vsq_error(VSQ_EINVAL, "generate: this model adds no BOS token: give a --prompt");
    }
    int token = prompt_tok[0], pos = 0;
    if (token != t->bos_id) { /* no BOS in front (GGUF models that add none): show it */
        const char *piece = llm_decode(t, -1, token);
        if (llm_piece_printable(piece)) emit(piece, ctx);
    }
    while (pos < steps) {
        float *logits = llm_forward(m, &state, token, pos);
        if (!logits) {
            st = VSQ_EINVAL;
            break;
        }
        int next = pos < n_prompt - 1 ? prompt_tok[pos + 1] : llm_sample(s, logits);
        pos++;
        if (next == t->stop_id) break;
        const char *piece = llm_decode(t, token, next);
        if (llm_piece_printable(piece)) emit(piece, ctx);
        token = next;
    }
    if (n_out) *n_out = pos;
    llm_state_free(&state);
    free(prompt_tok);
    return st;
}
