/* vsq/llm.h - a Llama-2 architecture language model (llama2.c
 * checkpoint format), its tokenizer, sampler, perplexity evaluation and
 * VS-Quant post-training quantization.
 *
 * Architecture: token embedding; per layer RMSNorm -> q,k,v (GQA) with RoPE
 * -> causal attention -> wo, residual; RMSNorm -> SwiGLU MLP (w1, w3, w2),
 * residual; final RMSNorm -> classifier. Single token per forward call,
 * with a KV cache.
 */
#ifndef VSQ_LLM_H
#define VSQ_LLM_H

#include "vsq/kernels.h"
#include "vsq/error.h"
#include "vsq/format.h"
#include "vsq/quant.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* API notes. llm_open fills an llm_model and its llm_tokenizer (a llama2.c
 * checkpoint + tokenizer, or a GGUF file with its own tokenizer); their
 * fields are for reading (cfg, the kernel counters of the integer path),
 * the library owns every pointer and llm_free / llm_tokenizer_free release
 * them. llm_quantize / llm_unquantize change the model in place. The
 * forward pass and its state (llm_forward, llm_state) are internal: use
 * llm_generate and llm_perplexity. */

/* ---- checkpoint (checkpoint.c) ---- */

typedef struct {
    int dim;        /* residual stream width */
    int hidden_dim; /* MLP width */
    int n_layers;
    int n_heads;
    int n_kv_heads; /* < n_heads: grouped-query attention */
    int vocab_size; /* always positive here */
    int seq_len;    /* max context */
    int shared_cls; /* 1: classifier = token embedding (header vocab > 0) */
    float rope_theta; /* RoPE base (0: llama2.c's 10000) */
    float norm_eps;   /* RMSNorm epsilon (0: llama2.c's 1e-5) */
} llm_config;

/* One linear layer y = W x, W rows x cols (rows = out features). `w` points
 * into the checkpoint mapping, or to a fake-quantized copy. On the integer
 * path exactly one of `pw` (packed weights for the fast kernels) and `q`
 * (unpacked int16 codes + scales for the reference GEMM) is set. */
typedef struct {
    const float *w;
    const float *w0; /* the checkpoint's own weights (never modified) */
    vsq_qtensor *q;
    vsq_packed_w *pw;
    int rows, cols;
    const char *name; /* "wq", "w1", "cls", ... */
    double *hessian;  /* cols x cols X^T X of its inputs (GPTQ), or NULL */
    int quantized;    /* 1: weights replaced by a quantized version */
    int f16;          /* 1: "fp16": weights and inputs rounded to binary16 */
    const uint8_t *blocks; /* GGUF: the file's own Q4_0 / Q4_1 / Q8_0 blocks, or NULL */
    int block_type;        /* their vsq_ggml_type */
} llm_mat;

typedef struct {
    llm_config cfg;
    const float *tok_emb;                      /* vocab x dim (maybe a quantized copy) */
    const float *tok_emb0;                     /* the checkpoint's own table, once quantized */
    const float *rms_att;                      /* n_layers x dim */
    const float *rms_ffn;                      /* n_layers x dim */
    const float *rms_final;                    /* dim */
    llm_mat *wq, *wk, *wv, *wo, *w1, *w2, *w3; /* n_layers each */
    llm_mat cls;
    /* Activation quantization (dynamic, per token along the input dim of
     * every linear layer); has_a = 0 means fp32 activations. */
    int has_a;
    vsq_format afmt;
    int a_quantized_only; /* 1: activations quantized only where the weights are
                             (llama.cpp: F32 matrices take F32 inputs) */
    int kv_f16;           /* 1: q, K/V cache and attention probabilities rounded to
                             fp16 (llama.cpp's default F16 KV cache) */
    int integer_path; /* 1: linear layers run on integer codes */
    int n_packed, n_ref; /* integer path: matrices on packed / reference kernels */
    char kernel_note[200]; /* why some matrices fell back to the reference */
    int threads;      /* packed kernels: OpenMP threads (<= 0: default) */
    int run_stored;   /* GGUF: unquantized matrices that have file blocks run
                         on them (kernels/ggml_quants.h) instead of fp32 */
    /* Called with the fp32 input of every linear layer when set (GPTQ
     * calibration, llm_gptq.c). */
    void (*capture)(void *ctx, const llm_mat *w, const float *x);
    void *capture_ctx;
    /* Storage: the mmap-ed file and the buffers owned by quantization. */
    void *map;
    size_t map_size;
    float **owned;
    size_t n_owned;
} llm_model;

/* Map and validate a llama2.c checkpoint (header dims against file size). */
vsq_status llm_load(const char *path, llm_model *m);
void llm_free(llm_model *m);

/* ---- tokenizer (tokenizer.c) ---- */

enum { LLM_BOS = 1, LLM_EOS = 2 };

typedef struct {
    int vocab_size;
    int max_token_length;
    char **vocab;
    float *scores;
    int *sorted;              /* token ids sorted by string, for lookup */
    unsigned char bytes[512]; /* single-byte strings for byte pieces */
    struct bpe_tokenizer *bpe; /* GGUF byte-level BPE (vsq/bpe.h) instead of the above */
    int add_bos;               /* GGUF: tokenizer.ggml.add_bos_token */
    int bos_id, stop_id;       /* llama2.c: BOS 1, generation stops at BOS;
                                  GGUF: its bos / eos token ids */
} llm_tokenizer;

vsq_status llm_tokenizer_load(const char *path, int vocab_size, llm_tokenizer *t);
void llm_tokenizer_free(llm_tokenizer *t);
/* Encode like llama2.c: optional BOS, the " " dummy prefix for non-empty
 * text, code points (byte fallback <0xXX> = id byte+3), then greedy merges
 * of the best-scoring pair. `tokens` must hold strlen(text)+3 entries. */
vsq_status llm_encode(const llm_tokenizer *t, const char *text, int bos, int eos, int *tokens,
                      int *n_tokens);
/* Piece of `token` following `prev` (leading space dropped after BOS,
 * <0xXX> turned into the byte). */
const char *llm_decode(const llm_tokenizer *t, int prev, int token);
/* 1 if the piece is worth printing (llama2.c safe_printf rule). */
int llm_piece_printable(const char *piece);

/* llm_ppl_opts.window_bos for this tokenizer (llama.cpp's rule). */
int llm_window_bos(const llm_tokenizer *t);

/* Load a checkpoint and its tokenizer together (vocab sizes must agree).
 * A GGUF file (llama architecture) brings its own tokenizer: tok_path is
 * then ignored. */
vsq_status llm_open(const char *model_path, const char *tok_path, llm_model *m, llm_tokenizer *t);

/* ---- GGUF checkpoints (gguf_load.c) ---- */

/* 1 if the file starts with the GGUF magic. */
int llm_is_gguf(const char *path);
/* Load a llama-architecture GGUF file: hyper-parameters from its metadata
 * (heads, GQA, RoPE base and dimension count, RMSNorm eps, context length
 * capped at LLM_GGUF_MAX_CTX), every tensor dequantized to fp32 (the
 * model's fp32 form: weights stored as Q4_1/Q8_0 stay on their grid), the
 * classifier tied to the token embedding when output.weight is absent, and
 * its byte-level BPE tokenizer. */
enum { LLM_GGUF_MAX_CTX = 4096 };
vsq_status llm_load_gguf(const char *path, llm_model *m, llm_tokenizer *t);

/* ---- sampling (sampler.c) ---- */

typedef struct {
    int vocab_size;
    float temperature; /* 0: greedy */
    float topp;        /* nucleus mass in (0,1); <= 0 or >= 1: off */
    uint64_t rng;
    struct {
        float p;
        int i;
    } * cand;
} llm_sampler;

vsq_status llm_sampler_init(llm_sampler *s, int vocab_size, float temperature, float topp,
                            uint64_t seed);
void llm_sampler_free(llm_sampler *s);
int llm_sample(llm_sampler *s, float *logits); /* modifies logits */

/* ---- generation (generate.c) ---- */

/* Called with each printable piece of generated text. */
typedef void (*llm_emit_fn)(const char *piece, void *ctx);

/* llama2.c's run loop: feed the prompt (BOS first), then sample until
 * `steps` positions (BOS counted; clamped to seq_len) or a BOS token.
 * *n_out receives the number of forward passes run. */
vsq_status llm_generate(const llm_model *m, const llm_tokenizer *t, llm_sampler *s,
                        const char *prompt, int steps, llm_emit_fn emit, void *ctx, int *n_out);

/* ---- perplexity (perplexity.c) ---- */

typedef struct {
    int ctx;           /* window length (512) */
    int full_window;   /* 1: score every position, 0: second half only */
    int limit_windows; /* 0: all */
    int window_bos;    /* token put in each window's first position, as
                          llama.cpp does when the model adds a BOS: 0 (default)
                          = LLM_BOS, > 0 that id, -1 = none (the window's own
                          first token; GGUF models without add_bos_token) */
} llm_ppl_opts;

typedef struct {
    double nll; /* mean NLL (nats) */
    double ppl;
    size_t tokens; /* tokens scored */
    size_t windows;
    size_t positions; /* forward passes run: windows x (ctx - 1) */
    double seconds;   /* wall time of the scoring (positions / seconds = eval tok/s) */
} llm_ppl_result;

/* Score an already tokenized text (tokens[0] = BOS). */
vsq_status llm_perplexity(const llm_model *m, const int *tokens, size_t n_tokens,
                          const llm_ppl_opts *o, llm_ppl_result *r);
/* Read a text file and tokenize it whole, BOS first. Caller frees *tokens. */
vsq_status llm_tokenize_file(const llm_tokenizer *t, const char *path, int **tokens,
                             size_t *n_tokens);

/* Selection / held-out split of an evaluation text (text_split.c): the
 * boundary is the first paragraph that starts a story ("\n\nOnce upon a
 * time") at or after the middle byte; `select` is the text before it,
 * `heldout` the text from the story's first letter on. Mixes and options are
 * chosen on `select`; results are reported on `heldout`. */
typedef enum { LLM_SPLIT_ALL = 0, LLM_SPLIT_SELECT = 1, LLM_SPLIT_HELDOUT = 2 } llm_split;
/* Byte offset of the boundary in text[0..n) (start of the held-out part). */
vsq_status llm_split_point(const char *text, size_t n, const char *what, size_t *at);
/* llm_tokenize_file on one part; *boundary receives the byte offset used
 * (0 for LLM_SPLIT_ALL). */
vsq_status llm_tokenize_file_part(const llm_tokenizer *t, const char *path, llm_split part,
                                  int **tokens, size_t *n_tokens, size_t *boundary);
/* Where BOS goes when a text file is tokenized: once, at the start
 * (LLM_BOS_TEXT, llama.cpp's perplexity tool), or before every story
 * (LLM_BOS_STORY, llama2.c's pretokenization of TinyStories: each story
 * stripped and encoded on its own). Story starts are the text's start and
 * every paragraph beginning "Once upon a time" (the split rule above). */
typedef enum { LLM_BOS_TEXT = 0, LLM_BOS_STORY = 1 } llm_bos_mode;
vsq_status llm_tokenize_file_bos(const llm_tokenizer *t, const char *path, llm_split part,
                                 llm_bos_mode bos, int **tokens, size_t *n_tokens,
                                 size_t *boundary);

/* ---- post-training quantization (llm_quant.c) ---- */

typedef struct {
    const char *w;     /* weight spec for every linear layer, or NULL */
    const char *w_cls; /* classifier spec (NULL: same as w; "fp32": keep) */
    const char *a;     /* activation spec, or NULL for fp32 */
    const char *w_set; /* per-matrix overrides "wv=SPEC,w2=SPEC,cls=fp32" */
    int integer;       /* 1: run linear layers on integer codes */
    int kernel;        /* integer path: LLM_KERNEL_PACKED (default) or _REF */
    int gptq_tokens;   /* > 0: GPTQ rounding calibrated on that many tokens the
                          fp32 model generates itself (llm_gptq.c); 0: plain */
    uint64_t gptq_seed; /* sampler seed of the GPTQ calibration text (0 acts as 1) */
    int tie_emb;        /* 1: the token embedding reads the quantized classifier
                           (shared-classifier checkpoints); else it is its own
                           tensor, format `emb=` in w_set (fp32 by default) */
    int a_quantized_only; /* see llm_model */
    int kv_f16;           /* see llm_model */
} llm_quant_opts;

/* Integer-path kernels. PACKED packs each weight matrix once for the fast
 * kernels (vsq_linear_q) and falls back per matrix to REF (vsq_gemm_ref on
 * unpacked codes) when the formats are not supported there. */
enum { LLM_KERNEL_PACKED = 0, LLM_KERNEL_REF = 1 };

/* Fake-quantize the weights in place of the mapped ones (static), set the
 * activation format; or, with o->integer, keep integer weights only
 * (packed, or unpacked codes for the reference kernel). */
vsq_status llm_quantize(llm_model *m, const llm_quant_opts *o);
/* Integer path: one line on stderr naming the kernels in use, and why
 * matrices fell back to the reference kernel when packed was asked for. */
void llm_kernel_report(const llm_model *m, int kernel);
/* Back to fp32: drop quantized copies and packed weights. */
void llm_unquantize(llm_model *m);
/* Storage of the weights, tensor kind by kind (llm_bpw.c). */
enum { LLM_N_KINDS = 9 }; /* wq wk wv wo w1 w2 w3 cls emb */
typedef struct {
    const char *name;  /* "wq" .. "cls", "emb" */
    char spec[128];    /* its format, "fp32", or "tied:cls" */
    int count;         /* matrices of this kind */
    double elems;      /* weights (0 for a tied embedding: stored once, as cls) */
    double bits;       /* storage bits, scale overhead included */
} llm_tensor_bits;
typedef struct {
    llm_tensor_bits kind[LLM_N_KINDS];
    double bpw;        /* every stored weight matrix, embedding included */
    double bpw_linear; /* linear layers incl. classifier only (the old figure) */
    double norm_elems; /* RMSNorm gains (fp32, not in bpw) */
} llm_bits;
/* Bits per weight of the model as `o` quantizes it; an unparsable spec is
 * an error. */
vsq_status llm_bits_count(const llm_model *m, const llm_quant_opts *o, llm_bits *b);
/* Convenience: the full bpw (embedding included), 0 on error. */
double llm_bpw(const llm_model *m, const llm_quant_opts *o);
/* Spec of matrix kind `name` under `o` (w_set override, w_cls, w), NULL for
 * fp32; `emb` defaults to fp32. Writes into buf. */
const char *llm_spec_for(const llm_quant_opts *o, const char *name, char *buf, size_t size);

/* ---- GPTQ calibration (llm_gptq.c) ---- */

/* Accumulate X^T X of every linear layer's inputs while the fp32 model
 * generates n_tokens of its own text (temperature 1, seeded): calibration
 * data that is not the evaluation text. Sets each matrix's `hessian`. */
vsq_status llm_gptq_calibrate(llm_model *m, int n_tokens, uint64_t seed);
/* Drop the Hessians. */
void llm_gptq_free(llm_model *m);

/* ---- format sweep (llm_sweep.c) ---- */

/* Table 6/7 analogue: perplexity and bpw for a fixed list of weight x
 * activation formats; writes PREFIX.csv and PREFIX.md (atomically) and a
 * line per row on stderr. */
vsq_status llm_sweep(llm_model *m, const int *tokens, size_t n_tokens, const llm_ppl_opts *o,
                     const char *prefix);

#ifdef __cplusplus
}
#endif
#endif
