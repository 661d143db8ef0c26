/* vsq/train.h - a small CNN training engine (fp32 and quantization-aware
 * training with VS-Quant fake-quantization, paper section 7 / Table 9).
 *
 * Layout: activations are NHWC for a whole mini-batch, one float buffer per
 * layer boundary. Weights are GEMM matrices with the reduction axis last,
 * as in vsq/cnn.h:
 *   Conv2D          W[cout][K], K = kh*kw*cin in (kh, kw, cin) order
 *   DepthwiseConv2D W[c][kh*kw]
 *   Dense           W[cout][cin]
 * so VS-Quant vectors (paper 3: along the reduction axis) are the last axis.
 *
 * Determinism: images of a batch are split statically over the OpenMP
 * threads; every thread accumulates weight gradients in its own buffer and
 * the buffers are summed in thread order, BN statistics are summed serially.
 * A fixed seed therefore gives bit-identical runs for a fixed thread count.
 */
#ifndef VSQ_PUBLIC_TRAIN_H
#define VSQ_PUBLIC_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include "vsq/error.h"
#include "vsq/format.h"

#ifdef __cplusplus
extern "C" {
#endif

/* API notes. tr_net_build_named (or tr_net_build, tr_ckpt_load) fills a
 * tr_net that the library owns (tr_net_free); its fields are for reading
 * (n_params, n_threads, the layer list). The GEMMs and per-layer kernels of
 * the engine are internal (src/train). */

/* ---------------------------------------------------------------- data */
typedef struct {
    int n, h, w;        /* images, rows, cols */
    uint8_t *pixels;    /* n * h * w */
    uint8_t *labels;    /* n, each < 10 */
} tr_dataset;

/* Read an IDX image file and its label file (gzip or plain, via zlib). */
vsq_status tr_idx_load(const char *images_path, const char *labels_path, tr_dataset *out);
/* Fashion-MNIST "train" or "t10k" from `dir` (NULL: the Debian package's
 * /usr/share/datasets/fashion-mnist, or $VSQ_FMNIST). */
vsq_status tr_fmnist_load(const char *dir, const char *split, tr_dataset *out);
const char *tr_fmnist_default_dir(void);
void tr_dataset_free(tr_dataset *d);

/* ---------------------------------------------------------------- layers */
typedef enum {
    TR_CONV = 0, TR_DWCONV, TR_DENSE, /* MAC layers: quantized in QAT */
    TR_BN, TR_RELU, TR_RELU6, TR_MAXPOOL, TR_AVGPOOL, TR_GAP
} tr_op;

typedef struct {
    tr_op op;
    int out_c; /* conv/dense outputs */
    int k, stride, pad;
} tr_spec;

typedef struct {
    tr_op op;
    char name[32];
    int ih, iw, ic, oh, ow, oc; /* per-image shapes (dense: ih = iw = 1, ic = inputs) */
    int k, stride, pad;
    size_t w_off, b_off, nw, nb; /* parameter ranges (conv/dw/dense: W, bias; BN: gamma, beta) */
    float *rmean, *rvar;         /* BN running statistics */
    float *bmean, *binvstd;      /* BN batch statistics of the last forward */
    int folded;                  /* BN folded into the preceding MAC layer: identity */
    int *argmax;                 /* max pool: input index per output element, batch-sized */
    float *wt;                   /* MAC layers: the weights used, transposed to [K][cout] */
    /* QAT state (NULL when the layer is not quantized) */
    float *wq, *wg;  /* fake-quantized weights and their STE gradient factors */
    float *ag;       /* STE factors of the quantized input, batch-sized */
    int quant_in;    /* input activations are fake-quantized */
} tr_layer;

typedef struct {
    vsq_format w, a;     /* formats; a.elem UINT applies where the input is >= 0 */
    int mad;             /* OCTAV magnitude-aware differentiation for clipped weights */
    int quant_first_in;  /* also quantize the image input of the first layer */
    int dw_window;       /* depthwise weights: vectors along each channel's taps
                            (per-vector = per-channel for 3x3), else across channels */
} tr_qat;

typedef struct {
    char model[16];
    tr_layer *l;
    int n;
    int in_h, in_w, in_c, n_classes;
    size_t n_params;
    float *params, *grads, *mom; /* n_params each */
    float *tgrads;               /* n_threads * n_params */
    int n_threads;
    int batch_cap;
    float **act;   /* n + 1 buffers, batch_cap * size of boundary i */
    float **dact;  /* same shapes */
    float *scratch; /* per-thread im2col buffers */
    size_t scratch_per_thread;
    int training;
    const tr_qat *qat; /* NULL: fp32 */
} tr_net;

size_t tr_layer_in_size(const tr_layer *l);
size_t tr_layer_out_size(const tr_layer *l);

/* Build a sequential network; parameters initialized from `seed` (He). */
vsq_status tr_net_build(tr_net *net, const char *model, int in_h, int in_w, int in_c,
                        const tr_spec *specs, int n_specs, int batch_cap, uint64_t seed);
/* The two models of the study: "cnn" (plain conv-BN-ReLU) and "mbnet"
 * (depthwise-separable, ReLU6). */
vsq_status tr_net_build_named(tr_net *net, const char *model, int batch_cap, uint64_t seed);
void tr_net_free(tr_net *net);

/* Forward n images (x: n * in_h*in_w*in_c, NHWC); returns the logits
 * buffer (n * n_classes). net->training selects BN batch statistics. */
vsq_status tr_net_forward(tr_net *net, const float *x, int n, const float **logits);
/* Backward from dlogits (n * n_classes) into net->grads and net->dact[0]. */
void tr_net_backward(tr_net *net, const float *dlogits, int n);

/* Softmax cross-entropy, mean over the batch; fills dlogits; counts hits. */
double tr_softmax_xent(const float *logits, const uint8_t *labels, int n, int classes,
                       float *dlogits, int *correct);

/* Fold every BN into the MAC layer before it (running statistics). */
vsq_status tr_net_fold_bn(tr_net *net);
size_t tr_net_flops_per_image(const tr_net *net); /* forward multiply-adds x 2 */

/* ---------------------------------------------------------------- QAT */
vsq_status tr_qat_attach(tr_net *net, const tr_qat *q);
void tr_qat_detach(tr_net *net);

/* ---------------------------------------------------------------- optimizer */
typedef struct {
    double lr, momentum, weight_decay;
} tr_sgd;
void tr_sgd_step(tr_net *net, const tr_sgd *o, double lr);
double tr_cosine_lr(double lr0, long step, long total);

/* ---------------------------------------------------------------- loop */
typedef struct {
    int batch, epochs, threads;
    double lr, momentum, weight_decay;
    uint64_t seed;
    int limit_train; /* 0 = all */
    int limit_test;
} tr_opts;

typedef struct {
    double loss, train_acc, test_acc, images_per_s, seconds, lr_end;
    double cpu_seconds; /* process CPU time of the epoch (all threads) */
} tr_epoch_log;

typedef void (*tr_progress_fn)(void *ctx, int epoch, size_t done, size_t total, double loss,
                               double acc, double ips);

/* One training epoch over `train` (shuffled with the seed and epoch). */
vsq_status tr_train_epoch(tr_net *net, const tr_dataset *train, const tr_opts *o, int epoch,
                          tr_progress_fn progress, void *ctx, tr_epoch_log *log);
/* Top-1 accuracy (0..1) on the first `limit` images (0 = all). */
vsq_status tr_evaluate(tr_net *net, const tr_dataset *test, int limit, double *acc);
/* Normalized float image (Fashion-MNIST mean/std) for image i. */
void tr_image_to_float(const tr_dataset *d, int i, float *out);

/* ---------------------------------------------------------------- checkpoint */
/* safetensors: F32 tensors "<layer>.weight|bias|gamma|beta|running_mean|
 * running_var"; __metadata__ holds model, folded, and free-form notes. */
vsq_status tr_ckpt_save(const tr_net *net, const char *path, const char *const *meta_kv,
                        int n_meta);
vsq_status tr_ckpt_load(tr_net *net, const char *path, int batch_cap);

/* ---------------------------------------------------------------- plot */
typedef struct {
    const char *label;
    const double *y;
    int n;
} tr_series;
/* Line plot of series against x = x0 .. x0+n-1 (written atomically). */
vsq_status tr_svg_lines(const char *path, const char *title, const char *xlabel,
                        const char *ylabel, int x0, const tr_series *s, int n_series);

#ifdef __cplusplus
}
#endif
#endif
