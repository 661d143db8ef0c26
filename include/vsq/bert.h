/* vsq/bert.h - a BERT-family sentence encoder (Hugging Face
 * config.json + model.safetensors, e.g. all-MiniLM-L6-v2) with VS-Quant
 * post-training quantization, and the logistic-regression probe that
 * turns its embeddings into a sentence-polarity classifier, the probe task
 * and the format sweep (the paper's Tables 2, 3, 6-7 for a BERT encoder).
 *
 * Architecture (post-LN BERT): x = LN(word[id] + pos[t] + type[0]); per
 * layer x = LN(x + O(attn(Q x, K x, V x))), x = LN(x + F2(gelu(F1 x)));
 * then mean pooling over the sentence's tokens and L2 normalisation.
 *
 * Batching: the sentences of a batch are packed one after another into
 * one token matrix (no padding rows). Every Linear layer is one GEMM over
 * all tokens of the batch; attention runs per sentence and head over that
 * sentence's own tokens only, which is exactly what BERT's padding mask
 * does for padded batches (masked keys get weight exp(-inf) = 0).
 */
#ifndef VSQ_BERT_H
#define VSQ_BERT_H

#include <stddef.h>
#include <stdint.h>
#include "vsq/kernels.h"
#include "vsq/error.h"
#include "vsq/format.h"
#include "vsq/quant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* API notes. bert_load fills a bert_model whose fields are for reading
 * (cfg.hidden, cfg.vocab, the layers); the library owns every pointer and
 * bert_free releases them. Text becomes token ids with the WordPiece
 * tokenizer of vsq/wordpiece.h (or bert_ids_load); bert_embed turns ids
 * into sentence embeddings; bert_quantize / bert_unquantize change the
 * model in place. */

/* ---- model (bert_load.c) ---- */

typedef struct {
    int hidden, n_layers, n_heads, ffn;
    int max_pos, type_vocab, vocab;
    float ln_eps;
} bert_config;

/* The six Linear layers of an encoder layer, in forward order. */
enum { BERT_Q, BERT_K, BERT_V, BERT_AO, BERT_F1, BERT_F2, BERT_N_LIN };

/* y = x W^T + b, W rows x cols (rows = output features, Hugging Face
 * [out, in]); the vector axis of VS-Quant is cols (the reduction). */
typedef struct {
    float *w0;          /* fp32 weights (owned) */
    const float *w;     /* weights the forward pass uses: w0 or wq */
    float *wq;          /* fake-quantized copy (owned) or NULL */
    float *b;           /* bias [rows] (owned) */
    vsq_packed_w *pw;   /* packed integer weights (--kernel packed) or NULL */
    int rows, cols;
    int id;             /* layer * BERT_N_LIN + kind: index of alpha[], hessian */
    char name[64];      /* "layer 3 query" */
} bert_linear;

typedef struct {
    bert_linear lin[BERT_N_LIN];
    float *ln1_g, *ln1_b; /* attention.output.LayerNorm */
    float *ln2_g, *ln2_b; /* output.LayerNorm */
} bert_layer;

struct bert_quant;

typedef struct {
    bert_config cfg;
    float *word_emb, *pos_emb, *type_emb; /* vocab / max_pos / type_vocab x hidden */
    float *emb_ln_g, *emb_ln_b;
    bert_layer *layers;
    struct bert_quant *q; /* NULL: fp32 (bert_quant.c) */
    /* Called with the fp32 input (rows x cols) of every Linear layer when
     * set: activation calibration and GPTQ Hessians. */
    void (*observe)(void *ctx, const bert_linear *l, const float *x, size_t rows);
    void *observe_ctx;
} bert_model;

/* Read DIR/config.json and DIR/model.safetensors; every shape is checked
 * against the config (errors name the file and the field or tensor). */
vsq_status bert_load(const char *dir, bert_model *m);
/* The config alone (used by bert_load; errors name file and field). */
vsq_status bert_config_load(const char *path, bert_config *c);
void bert_free(bert_model *m);
/* All Linear layers, layer-major: lin(m, i) for i < n_layers * BERT_N_LIN. */
bert_linear *bert_lin(const bert_model *m, int i);
int bert_n_lin(const bert_model *m);
const char *bert_lin_kind(int kind); /* "query", ..., "ffn_out" */

/* ---- sentences as token ids (bert_data.c) ---- */

typedef struct {
    int n;
    int32_t **ids; /* ids[i][0..len[i]) with [CLS] first and [SEP] last */
    int *len;
} bert_ids;

/* One sentence a line of space-separated ids, truncated to max_len
 * (keeping [SEP] last as the tokenizer does). Ids must be < vocab. */
vsq_status bert_ids_load(const char *path, int max_len, int vocab, bert_ids *out);
/* Empty set of n sentences, filled by the caller (tokenizer). */
vsq_status bert_ids_alloc(int n, bert_ids *out);
void bert_ids_free(bert_ids *s);
/* The subset idx[0..k) (copies the ids). */
vsq_status bert_ids_subset(const bert_ids *s, const int *idx, int k, bert_ids *out);

/* The sentence-polarity data set: DIR/sentences.tsv (LABEL<TAB>TEXT),
 * DIR/split.txt (train|test per line). */
typedef struct {
    int n;
    int *label;   /* 0 / 1 */
    int *is_test; /* 0 train, 1 test */
    char **text;
} bert_dataset;

vsq_status bert_dataset_load(const char *dir, bert_dataset *d);
/* The lines of a text file (no trailing empty line; '\r' dropped):
 * (*lines)[i] point into *buf; free both. */
vsq_status bert_read_lines(const char *path, char **buf, char ***lines, int *n);
void bert_dataset_free(bert_dataset *d);

/* ---- forward pass (bert_forward.c) ---- */

/* Sentence embeddings (n x hidden, unit L2 norm) of all sentences of s,
 * in batches of about `batch_tokens` tokens. progress (optional) is
 * called with (done, total) sentences. */
vsq_status bert_embed(const bert_model *m, const bert_ids *s, int batch_tokens, float *out,
                      void (*progress)(size_t, size_t));

/* ---- post-training quantization (bert_quant.c) ---- */

typedef struct {
    const char *w;      /* weight spec of every Linear layer, or NULL (fp32) */
    const char *a;      /* activation spec of every Linear input, or NULL */
    const char *attn_a; /* spec of both operands of Q.K^T and P.V, or NULL */
    int packed;         /* 1: Linear layers on the packed integer kernels */
    int gptq;           /* > 0: GPTQ rounding, Hessians from this many train sentences */
    const bert_ids *calib; /* train sentences for static calibration and GPTQ */
    int calib_n;        /* how many of them static activations calibrate on */
    const float *alpha; /* static activations: precomputed clip values (one per
                           Linear layer, bert_calibrate_many) instead of calibrating */
} bert_quant_opts;

/* Quantize the model as asked (replaces any previous quantization).
 * Weights: static, channel = output row. Activations: "vV" specs are
 * dynamic per vector (two-level: one coarse scale per token row); "pt"
 * specs are static, one clip value per Linear input calibrated with the
 * spec's calibrator on the first calib_n sentences of o->calib; "pc" is
 * refused. "uintN" becomes intN: no Linear input of BERT is non-negative. */
vsq_status bert_quantize(bert_model *m, const bert_quant_opts *o);
/* Back to fp32. */
void bert_unquantize(bert_model *m);
/* Bits per weight over all Linear layers (scales included; 32 = fp32). */
double bert_bpw(const bert_model *m, const char *wspec);

/* Static calibration of many activation formats in one fp32 pass over
 * s: alpha[f][lin] for each format fmts[f] (per-tensor clip values). */
vsq_status bert_calibrate_many(bert_model *m, const bert_ids *s, const vsq_format *fmts, int nf,
                               float **alpha);

/* ---- the probe (probe.c) ---- */

/* L2-regularised logistic regression p(y=1|x) = sigmoid(w.x + b),
 * minimising (1/n) sum logloss + lambda/2 |w|^2 (b not penalised) by
 * Newton's method (see probe.c for the stopping rule). */
typedef struct {
    int dim;
    double *w; /* dim */
    double b;
    double lambda;
    int iters;
    double grad_norm; /* max |gradient| at the end */
} bert_probe;

vsq_status bert_probe_train(const float *x, const int *y, int n, int dim, double lambda,
                            bert_probe *p);
/* lambda from a k-fold cross-validation on (x, y) over a fixed grid. */
vsq_status bert_probe_select_lambda(const float *x, const int *y, int n, int dim, int folds,
                                    const double *grid, int n_grid, double *best,
                                    double *cv_acc);
int bert_probe_predict(const bert_probe *p, const float *x);
void bert_probe_free(bert_probe *p);

/* Wilson score 95 % interval of k successes in n (percent). */
void bert_wilson95(int k, int n, double *lo, double *hi);

/* ---- the sentence-polarity probe task and the format sweep (bert_task.c,
 * bert_sweep.c) ---- */

typedef struct {
    bert_ids train, test;
    int *ytrain, *ytest;
    int *test_index;       /* line of each test sentence in the data set */
    float *etrain, *etest; /* fp32 embeddings */
    bert_probe probe;      /* trained on etrain only */
    double lambda, cv_acc; /* chosen by 5-fold CV on the train split */
    double train_acc;
    int *pred32;           /* fp32 probe predictions on the test split */
    int correct32;
} bert_task;

typedef struct {
    int n, correct;
    double accuracy, ci_lo, ci_hi; /* percent; Wilson score 95 % interval */
    double cosine;                 /* mean cosine to the fp32 test embeddings */
    double agreement;              /* percent of predictions equal to fp32's */
    double seconds, sent_per_s;    /* wall clock */
    double cpu_seconds;            /* process CPU time (all threads): robust on a shared machine */
} bert_result;

/* Split `all` (tokenized sentences aligned with d) into train / test
 * (train_limit / test_limit of each, evenly spaced; <= 0: all), embed both in fp32
 * (m's quantization is ignored), select lambda and train the probe. */
vsq_status bert_task_setup(bert_model *m, const bert_dataset *d, const bert_ids *all,
                           int train_limit, int test_limit, bert_task *t,
                           void (*progress)(size_t, size_t));
/* Embed the test split with m as it is (fp32 or quantized) and score it;
 * *emb_out (optional) receives the embeddings. */
vsq_status bert_task_eval(const bert_model *m, const bert_task *t, bert_result *r, float **emb_out,
                          void (*progress)(size_t, size_t));
/* Score given test embeddings. */
void bert_task_score(const bert_task *t, const float *emb, int dim, bert_result *r);
void bert_task_free(bert_task *t);

/* --sweep: run the tables, write DIR/bert_NAME.{md,csv,json} for each.
 * `name` is table2|table3|table67|all, or key (a few telling rows);
 * `header` (optional) is a Markdown
 * paragraph put under each table's title (command, CPU, commit); static
 * activations are calibrated on the first `calib` train sentences. */
vsq_status bert_sweep(bert_model *m, const bert_task *t, const char *name, const char *dir,
                      const char *header, int calib);

#ifdef __cplusplus
}
#endif
#endif
