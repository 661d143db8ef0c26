/* vsq/cnn.h - a small NHWC CNN graph runtime with VS-Quant
 * post-training quantization. Two front ends build the same graph: Keras /
 * TF.js "layers" models (graph.c, chains such as MobileNetV1) and ONNX
 * inference graphs (onnx_load.c, onnx_ops.c: residual Add, Concat, ...).
 * The graph is a list of nodes ("layers") in topological order that read
 * and write numbered tensors; plan.c assigns tensors to reusable buffers.
 *
 * Layout: activations are NHWC (one image at a time, so HWC), weights are
 * stored as GEMM matrices with the reduction axis last:
 *   Conv2D          W[cout][K], K = kh*kw*cin in (kh, kw, cin) order (HWIO)
 *   DepthwiseConv2D W[c][kh*kw]  (the 3x3 window of one channel)
 *   Dense           W[cout][cin]
 * so Y[pixel][cout] = sum_k A[pixel][k] * W[cout][k] is exactly the
 * vsq_gemm_ref convention and the vector axis of VS-Quant (paper 3: vectors
 * along the reduction dimension, i.e. input channels C) is the last axis.
 * BatchNormalization is folded into the preceding convolution.
 */
#ifndef VSQ_PUBLIC_CNN_H
#define VSQ_PUBLIC_CNN_H

#include <stddef.h>
#include <stdint.h>
#include "vsq/kernels.h"
#include "vsq/error.h"
#include "vsq/format.h"
#include "vsq/quant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* API notes. cnn_model_open (or _load / cnn_onnx_load) fills a cnn_model;
 * its fields (shapes, the node list m->l[0..n), names, the format
 * "tfjs"/"onnx") are for reading: the library owns every pointer in it and
 * cnn_model_free releases them. Quantization is a separate cnn_qcfg
 * (cnn_qcfg_init, then set the formats) passed to cnn_evaluate /
 * cnn_forward; cnn_quantize_weights attaches quantized weights to the
 * model until cnn_clear_weights. The graph builders, float kernels and
 * activation quantizers behind these calls are internal (src/models/cnn). */

/* ---- the layer graph (graph.c: TF.js front end; plan.c: buffers) ---- */
typedef enum {
    CNN_CONV = 0, CNN_DWCONV, CNN_DENSE, /* the quantized ("MAC") layers */
    CNN_RELU, CNN_RELU6, CNN_PAD, CNN_GAP, CNN_SOFTMAX,
    CNN_CLIP,    /* y = min(max(x, lo), hi) */
    CNN_SIGMOID,
    CNN_AFFINE,  /* y[p][c] = x[p][c] * w[c] + b[c] (unfolded BN, Mul/Add by a constant) */
    CNN_ADD,     /* two tensors, the second may be 1x1xC or 1x1x1 (broadcast) */
    CNN_MUL,
    CNN_CONCAT,  /* along channels */
    CNN_MAXPOOL, CNN_AVGPOOL,
    CNN_FLATTEN, /* HWC -> 1x1x(C*H*W) in CHW order (ONNX Flatten / Reshape) */
    CNN_N_OPS
} cnn_op;

#define CNN_MAX_IN 16 /* inputs of one node (Concat) */

/* A tensor between nodes: HWC shape, whether it is provably >= 0, and the
 * work buffer ("slot") that holds it (plan.c). */
typedef struct {
    int h, w, c;
    int nonneg;
    int slot;
    int last_use; /* index of the last node reading it (m->n: model output) */
} cnn_tensor;

typedef struct {
    cnn_op op;
    char name[96];
    int ih, iw, cin;       /* input shape (HWC) */
    int oh, ow, cout;      /* output shape */
    int kh, kw, sh, sw;    /* kernel and strides */
    int pt, pl, pb, pr;    /* explicit padding (top, left, bottom, right) */
    int k;                 /* reduction length: kh*kw*cin, kh*kw (dw), cin */
    float *w;              /* fp32 weights, matrix form (see top) */
    float *b;              /* bias [cout] with BN folded in (never NULL for MAC) */
    float *wq;             /* fake-quantized weights, NULL = use w */
    vsq_qtensor *wqt;      /* integer-quantized weights for the --int path */
    vsq_packed_w *wpk;     /* packed weights for --kernel packed (1x1 conv, dense) */
    float *dwt;            /* depthwise weights as [tap][c] for the fused path (--kernel packed) */
    int in_nonneg;         /* input is provably >= 0 (after ReLU / ReLU6) */
    int same;              /* Keras padding "same" (pads set by cnn_model_set_padding) */
    int groups;            /* CNN_CONV: channel groups (k = kh*kw*cin/groups) */
    int dh, dw;            /* dilations (conv, dwconv) */
    float lo, hi;          /* CNN_CLIP bounds; CNN_PAD: lo = constant value */
    int count_pad;         /* CNN_AVGPOOL: padded zeros count in the mean */
    int in[CNN_MAX_IN];    /* input tensor ids */
    int n_in;
    int out;               /* output tensor id */
    int in_live;           /* in[0] is read again later: do not quantize it in place */
} cnn_layer;

typedef struct {
    cnn_layer *l;
    int n;
    int in_h, in_w, in_c;
    int n_classes;
    size_t max_act;     /* largest activation tensor (floats) */
    size_t max_col;     /* largest im2col buffer (floats) */
    float *weight_mem;  /* owns all w / b arrays */
    cnn_tensor *t;      /* tensor 0 is the image input */
    int n_t;
    int out_t;          /* the logits tensor */
    int n_slots;        /* work buffers the executor needs (plan.c) */
    size_t *slot_size;  /* floats per slot */
    char format[16];    /* "tfjs" or "onnx" */
} cnn_model;

/* TF.js layers model in folder `dir` (model.json + shards). */
vsq_status cnn_model_load(const char *dir, cnn_model *m);
/* ONNX file, or an ONNX model held in memory (`what` names it in errors). */
vsq_status cnn_onnx_load(const char *path, cnn_model *m);
vsq_status cnn_onnx_load_mem(const uint8_t *data, size_t size, const char *what, cnn_model *m);
/* A path ending in .onnx (or any regular file): ONNX; a folder: TF.js. */
vsq_status cnn_model_open(const char *path, cnn_model *m);

/* Keras "same" pads the odd pixel at the bottom/right (TF semantics, the
 * default); CNN_PAD_SYMMETRIC pads k/2 on top/left at every stride. */
typedef enum { CNN_PAD_KERAS = 0, CNN_PAD_SYMMETRIC = 1 } cnn_padding;
void cnn_model_set_padding(cnn_model *m, cnn_padding p);
void cnn_model_free(cnn_model *m);
int cnn_is_mac(const cnn_layer *l);
const char *cnn_op_name(cnn_op op);

/* ---- quantization (cnn_quant.c) ---- */
typedef enum { CNN_DW_WINDOW = 0, CNN_DW_CHANNEL = 1 } cnn_dw_mode;
/* First layer (3 input channels): vectors over the flattened (ky,kx,ci)
 * window, vectors of the 3 channels of one pixel, or left in fp32. */
typedef enum { CNN_FIRST_FLAT = 0, CNN_FIRST_PIXEL = 1, CNN_FIRST_FP32 = 2 } cnn_first_mode;

typedef struct {
    int quant_w, quant_a;  /* which halves are quantized */
    vsq_format w, a;       /* a: as given (uint => unsigned where input >= 0) */
    int a_static;          /* 1: per-tensor alpha calibrated on a data split */
    cnn_dw_mode dw;        /* depthwise vectors: 3x3 window vs across channels */
    cnn_first_mode first;  /* first layer (3 input channels) */
    int use_int;           /* run MAC layers through vsq_gemm_ref */
    int packed;            /* run 1x1 conv / dense layers through vsq_gemm_packed */
    int slow;              /* always use vsq_fakequant (no fast path; tests) */
    float *alpha;          /* static: one clip value per layer (n entries) */
    double **hessian;      /* GPTQ: per layer X^T X (cnn_gptq.c), or NULL */
    const unsigned char *layer_on; /* NULL: every MAC layer; else only layers i with layer_on[i] */
    const vsq_format *layer_w;     /* NULL: w everywhere; else per-layer weight formats (n entries) */
} cnn_qcfg;

void cnn_qcfg_init(cnn_qcfg *q);
void cnn_qcfg_free(cnn_qcfg *q);
/* Quantize all MAC weights (fills wq / wqt); undo with cnn_clear_weights. */
vsq_status cnn_quantize_weights(const cnn_model *m, const cnn_qcfg *q);
void cnn_clear_weights(const cnn_model *m);

/* ---- forward pass (forward.c) ---- */
typedef struct {
    float **slot;    /* m->n_slots activation buffers */
    int n_slots;
    float *col;
    float *tmp;
    vsq_packed_a pa; /* packed activations, reused by every packed layer */
    void *dws;       /* scratch of the fused depthwise path (cnn_dw_scratch_bytes) */
} cnn_work;

vsq_status cnn_work_alloc(const cnn_model *m, cnn_work *w);
void cnn_work_free(cnn_work *w);

/* Observer called with each MAC layer's input matrix (calibration). */
typedef void (*cnn_observe_fn)(void *ctx, int layer, const float *x, size_t n);

/* logits[n_classes] for one HWC image; q may be NULL (fp32). */
vsq_status cnn_forward(const cnn_model *m, const cnn_qcfg *q, cnn_work *w, const float *img,
                       float *logits, cnn_observe_fn obs, void *obs_ctx);

/* ---- GPTQ (cnn_gptq.c) ---- */
typedef struct cnn_dataset cnn_dataset;
/* X^T X of every MAC layer's inputs over fp32 passes on images [begin,end)
 * (depthwise layers: one kh*kw square per channel). */
vsq_status cnn_gptq_calibrate(const cnn_model *m, const cnn_dataset *d, int begin, int end,
                              double ***hessians);
void cnn_gptq_free(const cnn_model *m, double **hessians);

/* ---- data (image.c, imagenet.c) ---- */
struct cnn_dataset {
    int n;
    char **path;  /* full paths */
    int *label;
    float *pix;   /* n * size * size * 3, preprocessed, NULL until cached */
    int size;
};

/* Read DIR/labels.txt ("images/FILE LABEL" per line); limit <= 0: all. */
vsq_status cnn_dataset_open(const char *dir, int limit, cnn_dataset *d);
/* Bilinear sampling convention of the resize. */
typedef enum {
    CNN_RESIZE_HALF_PIXEL = 0,   /* align_corners=False, PIL / TF2 */
    CNN_RESIZE_ALIGN_CORNERS = 1, /* align_corners=True, TF1 option */
    CNN_RESIZE_ANTIALIAS = 2     /* PIL-style triangle filter widened when downscaling */
} cnn_resize;

/* Image preprocessing: resize the shorter side to size*short_ratio, centre
 * crop size x size, optionally round to 8 bits, then (x - mean) / std per
 * channel (x in 0..255). Presets: cnn_preproc_preset (image.c). */
typedef struct {
    int size;
    double short_ratio; /* 256/224 */
    cnn_resize mode;
    int round8;
    float mean[3], std[3];
} cnn_preproc;

/* "mobilenet": x/127.5 - 1, float resize; "efficientnet": (x - 127)/128
 * after an 8-bit rounded resize (../shared/models/efficientnet-lite0). */
vsq_status cnn_preproc_preset(const char *name, int size, cnn_preproc *p);

/* Decode + preprocess every image once (multithreaded). */
vsq_status cnn_dataset_cache(cnn_dataset *d, int size, cnn_resize mode,
                             void (*progress)(size_t, size_t));
vsq_status cnn_dataset_cache_pp(cnn_dataset *d, const cnn_preproc *p,
                                void (*progress)(size_t, size_t));
void cnn_dataset_free(cnn_dataset *d);

/* JPEG file -> RGB float HWC (size x size), shared README preprocessing. */
vsq_status cnn_image_load(const char *path, int size, cnn_resize mode, float *out);
vsq_status cnn_image_load_pp(const char *path, const cnn_preproc *p, float *out);

/* ---- evaluation (eval.c) ---- */
typedef struct {
    double top1, top5; /* percent */
    int n;
    double seconds, images_per_s;
} cnn_result;

/* Evaluate images [begin, end) of d. */
vsq_status cnn_evaluate(const cnn_model *m, const cnn_qcfg *q, const cnn_dataset *d, int begin,
                        int end, int threads, cnn_result *r, void (*progress)(size_t, size_t));

/* Static calibration: run images [begin,end) in fp32 and set q->alpha for
 * every quantized layer from a vsq_calibrator with format cnn_act_format. */
vsq_status cnn_calibrate(const cnn_model *m, cnn_qcfg *q, const cnn_dataset *d, int begin,
                         int end, int threads, void (*progress)(size_t, size_t));
/* Same, for many configurations at once (one pass over the data). */
vsq_status cnn_calibrate_many(const cnn_model *m, cnn_qcfg **qs, int nq, const cnn_dataset *d,
                              int begin, int end, int threads,
                              void (*progress)(size_t, size_t));

/* ---- per-layer sensitivity and mixed precision (sensitivity.c) ---- */
/* Logits of images [begin, end) into out[(i - begin) * n_classes]. */
vsq_status cnn_logits(const cnn_model *m, const cnn_qcfg *q, const cnn_dataset *d, int begin, int end,
                      int threads, float *out);
/* Top-1 (percent) of logits against the labels of images [begin, end), and
 * the SQNR (dB) of logits against reference logits (NULL: not computed). */
double cnn_logits_top1(const cnn_model *m, const cnn_dataset *d, int begin, int end, const float *logits);
double cnn_logits_sqnr(const float *ref, const float *x, size_t n);

typedef struct {
    int layer;       /* index in m->l */
    size_t params;   /* weights of the layer */
    double bits;     /* bits per weight in this format, scales included */
    double top1;     /* accuracy with only this layer quantized */
    double sqnr_db;  /* logits vs fp32 */
} cnn_sens;

/* Quantize one MAC layer at a time with q's formats (everything else fp32)
 * and score images [begin, end) against the fp32 logits ref. out gets one
 * entry per MAC layer (*n_out of them, room for m->n). */
vsq_status cnn_sensitivity(cnn_model *m, const cnn_qcfg *q, const cnn_dataset *d, int begin, int end,
                           int threads, const float *ref, cnn_sens *out, int *n_out,
                           void (*progress)(size_t, size_t));
/* Bits per weight of layer l's matrix in format f (scale overhead included). */
double cnn_layer_bits(const cnn_layer *l, const vsq_format *f);

/* Greedy mixed precision: sens[f * n_mac + j] holds layer j in candidate
 * format f (candidates ordered by decreasing bits). Start every layer at
 * the first candidate; while the average bits per weight exceeds target,
 * move the layer whose next cheaper candidate adds the least logit noise
 * (10^(-SQNR/10), assumed additive over layers) per bit saved. choice[j]
 * gets the candidate of layer j; *avg_bits the result. */
vsq_status cnn_mixed_greedy(const cnn_sens *sens, int n_fmt, int n_mac, double target, int *choice,
                            double *avg_bits);

/* ---- the paper's Table 2-5 analogues (sweep.c) ---- */
/* name: table2|table3|table4|table5|variants|all. Writes DIR/cnn_NAME.{md,csv,json}.
 * desc names the model and its preprocessing in the tables (no quotes).
 * Static (per-tensor) activation configs calibrate on images [0, calib) and
 * every configuration is evaluated on [calib, n). Returns a vsq_status. */
int cnn_sweep(cnn_model *m, const cnn_dataset *d, const char *name, const char *dir, int threads,
              int calib, const char *desc);

#ifdef __cplusplus
}
#endif
#endif
