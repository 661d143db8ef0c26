/* train/train.h - internals of the training engine; the public part
 * (data, network, QAT, loop, checkpoints) is include/vsq/train.h. */
#ifndef VSQ_TRAIN_H
#define VSQ_TRAIN_H

#include "vsq/train.h"
#include "vsq/vsq.h"

/* ---------------------------------------------------------------- GEMM */
/* C[m][n] += sum_k A[m][k] B[k][n] (row-major, leading dimensions given). */
void tr_gemm_nn(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                int ldc);
/* C[n][k] += sum_m A[m][n] B[m][k]: weight gradients dW += dY^T X. */
void tr_gemm_tn(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                int ldc);

/* Layer-level forward/backward, per image range [i0, i1) (layers.c). */
void tr_layer_forward(tr_net *net, int li, const float *x, float *y, int n);
void tr_layer_backward(tr_net *net, int li, const float *x, const float *dy, float *dx, int n);

/* Fake-quantize x (rows x cols, `channels` row blocks) into y and write the
 * straight-through factor of every element into g: 1 inside the clip
 * range, outside 0 (STE) or alpha/|x| (mad, OCTAV). g may be NULL. */
vsq_status tr_fakequant_ste(const vsq_format *f, const float *x, size_t rows, size_t cols,
                            size_t channels, int mad, float *y, float *g);
/* Quantize every MAC layer's weights for this step (scales from the
 * current weights: "scale factors are not parameters", paper 7). */
vsq_status tr_qat_weights(tr_net *net);
/* Fake-quantize the input activation of MAC layer li for images [0, n). */
vsq_status tr_qat_input(tr_net *net, int li, float *x, int n);

#endif
