/* models/llm/llm.h - internals of the Llama-2 model (in-memory parsers,
 * the forward pass and its state, the integer GEMM hook); the public part
 * is include/vsq/llm.h. */
#ifndef VSQ_MODELS_LLM_H
#define VSQ_MODELS_LLM_H

#include "vsq/llm.h"
#include "vsq/vsq.h"

/* Validate an in-memory image without owning it (used by llm_load, tests). */
vsq_status llm_parse(const void *buf, size_t len, const char *what, llm_model *m);

/* Parse a tokenizer image already in memory (used by the loader, fuzzers). */
vsq_status llm_tokenizer_parse(const uint8_t *buf, size_t len, int vocab_size, const char *what,
                               llm_tokenizer *t);

/* ---- forward pass (transformer.c) ---- */

typedef struct {
    float *x, *xb, *xb2, *hb, *hb2, *q, *att, *logits;
    float *key_cache, *value_cache; /* n_layers x seq_len x kv_dim */
    float *aq;                      /* activation fake-quant scratch */
    uint8_t *gq;                    /* GGUF block path: the Q8 activation row */
    vsq_packed_a pa;                /* packed-kernel activation scratch */
} llm_state;

vsq_status llm_state_init(llm_state *s, const llm_config *c);
void llm_state_free(llm_state *s);
/* Run token at position pos (0-based); returns the logits (vocab floats),
 * or NULL on failure (error recorded). */
float *llm_forward(const llm_model *m, llm_state *s, int token, int pos);

/* Reference integer GEMM of the integer path, y (1 x rows) = a (1 x K) . w^T,
 * used for matrices without packed weights (--kernel ref, or formats the
 * packed kernels do not support). Defaults to vsq_gemm_ref. */
typedef vsq_status (*llm_matmul_q_fn)(float *y, const vsq_qtensor *a, const vsq_qtensor *w);
extern llm_matmul_q_fn llm_matmul_q;

#endif
