/* models/cnn/cnn.h - internals of the CNN runtime (TF.js weight manifest,
 * graph building, float kernels, activation quantization, packed layers);
 * the public part is include/vsq/cnn.h. */
#ifndef VSQ_CNN_H
#define VSQ_CNN_H

#include "vsq/cnn.h"
#include "vsq/vsq.h"

/* ---- weights from a TF.js manifest (tfjs_load.c) ---- */
typedef struct {
    char name[128];
    int ndim;
    int shape[4];
    size_t numel;
    float *data; /* points into the owning cnn_weights blob */
} cnn_weight;

typedef struct {
    cnn_weight *w;
    int n;
    float *blob; /* all groups, concatenated */
} cnn_weights;

/* Parse model.json in `dir` and read its weight shards. *json_root receives
 * the parsed model.json (a cJSON tree; free it with cnn_json_free). */
vsq_status cnn_weights_load(const char *dir, cnn_weights *out, void **json_root);

/* Where weight shards come from: `read` returns the bytes of the shard
 * named `name` in the manifest (malloc-ed, the caller frees). `what` names
 * the model in messages (the folder for files). */
typedef struct {
    vsq_status (*read)(void *ctx, const char *what, const char *name, uint8_t **buf, size_t *len);
    void *ctx;
    const char *what;
} cnn_shard_reader;

/* The same from a model.json image in memory (fuzzers, tests). */
vsq_status cnn_weights_parse(const char *json, size_t len, const cnn_shard_reader *r,
                             cnn_weights *out, void **json_root);
const cnn_weight *cnn_weights_find(const cnn_weights *ws, const char *layer, const char *key);
void cnn_weights_free(cnn_weights *ws);
void cnn_json_free(void *json_root);

/* The same from a model.json image in memory and a shard reader. */
vsq_status cnn_model_parse(const char *json, size_t len, const cnn_shard_reader *r, cnn_model *m);

/* Append a node / a tensor (front ends); NULL / -1 when out of memory. */
cnn_layer *cnn_model_add_layer(cnn_model *m, cnn_op op, const char *name);
int cnn_model_add_tensor(cnn_model *m, int h, int w, int c, int nonneg);
/* Chain topology: node i reads tensor i and writes tensor i+1 (TF.js). */
vsq_status cnn_model_chain(cnn_model *m);
/* Liveness, buffer slots and scratch sizes; call once the graph is built. */
vsq_status cnn_model_plan(cnn_model *m);
/* Number of nodes reading tensor t. */
int cnn_tensor_readers(const cnn_model *m, int t);

/* ---- float kernels (gemm_f32.c, conv.c) ---- */
/* C[m][n] = sum_k A[m][k] * B[n][k] (+ bias[n]); row-major, B "transposed". */
void cnn_sgemm_nt(int m, int n, int k, const float *a, const float *b, const float *bias,
                  float *c);
void cnn_im2col(const cnn_layer *l, const float *x, float *col);
/* Group g of a grouped convolution: its cin/groups channels only. */
void cnn_im2col_group(const cnn_layer *l, const float *x, int g, float *col);
void cnn_dw_im2col(const cnn_layer *l, const float *x, float *col);
void cnn_dwconv(const cnn_layer *l, const float *x, const float *w, float *y);
void cnn_dwconv_col(const cnn_layer *l, const float *col, const float *w, float *y);
void cnn_pad(const cnn_layer *l, const float *x, float *y);
void cnn_gap(const cnn_layer *l, const float *x, float *y);
void cnn_softmax(float *x, int n);
/* The non-MAC graph ops (ops.c); x may equal y for elementwise ones. */
void cnn_pool(const cnn_layer *l, const float *x, float *y);
void cnn_binary(const cnn_layer *l, const cnn_tensor *a, const cnn_tensor *b, const float *xa,
                const float *xb, float *y);
void cnn_concat(const cnn_model *m, const cnn_layer *l, float *const *xs, float *y);
void cnn_affine(const cnn_layer *l, const float *x, float *y);
void cnn_flatten(const cnn_layer *l, const float *x, float *y);
void cnn_clip(const float *x, float *y, size_t n, float lo, float hi);
void cnn_sigmoid(const float *x, float *y, size_t n);

/* Activation format used at layer l (signed for inputs that can be < 0). */
vsq_format cnn_act_format(const cnn_qcfg *q, const cnn_layer *l);
int cnn_layer_quantized(const cnn_qcfg *q, const cnn_model *m, int i);

/* Fake-quantize an activation matrix rows x cols in place (vectors along cols). */
vsq_status cnn_quant_act(const cnn_qcfg *q, const cnn_model *m, int i, float *x, size_t rows,
                         size_t cols);
/* Quantize an activation matrix into integer codes (the --int path). */
vsq_status cnn_act_qtensor(const cnn_qcfg *q, const cnn_model *m, int i, const float *x,
                           size_t rows, size_t cols, vsq_qtensor *qt);

/* Depthwise layer i through vsq_gemm_ref, from its window matrix (dw_int.c). */
vsq_status cnn_dw_int(const cnn_model *m, const cnn_qcfg *q, int i, const float *col, float *y);

/* Layer i can run on packed integer kernels: a pointwise (1x1, stride 1,
 * unpadded) conv or a dense layer whose weight and activation formats are
 * both two-level sM per-vector with the same V in {16, 32, 64}. */
int cnn_packable(const cnn_qcfg *q, const cnn_model *m, int i);
/* Y = A W^T + b for such a layer on packed operands (packed.c); clip
 * (NULL: none) = {lo, hi} of a fused ReLU / ReLU6 / Clip. */
vsq_status cnn_gemm_packed(const cnn_model *m, const cnn_qcfg *q, int i, cnn_work *w,
                           const float *a, size_t rows, float *y, const float *clip);

#define CNN_DW_MAX_TAPS 64
/* Depthwise layer i runs fused (dw_fused.c): --kernel packed, window
 * vectors, dynamic two-level sM max activations with V >= kh*kw (one
 * vector per window); any weight format. */
int cnn_dw_fusable(const cnn_qcfg *q, const cnn_model *m, int i);
/* l->dwt from l->wq (or l->w): the weights transposed to [tap][c]. */
vsq_status cnn_dw_fuse_weights(cnn_layer *l);
/* Per-thread scratch bytes the fused path needs for model m. */
size_t cnn_dw_scratch_bytes(const cnn_model *m);
/* y = depthwise(x) + b with each window quantized on the fly; bit-identical
 * to the fake-quant path (window matrix, cnn_quant_act, cnn_dwconv_col).
 * clip as for cnn_gemm_packed. */
vsq_status cnn_dw_fused(const cnn_model *m, const cnn_qcfg *q, int i, cnn_work *w, const float *x,
                        float *y, const float *clip);

#endif
