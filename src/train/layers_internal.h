/* train/layers_internal.h - shared by the layer files of the training engine. */
#ifndef VSQ_TRAIN_LAYERS_INTERNAL_H
#define VSQ_TRAIN_LAYERS_INTERNAL_H

#include "train/train.h"

#define TR_BN_EPS 1e-5
#define TR_BN_MOMENTUM 0.1

const float *tr_layer_weights(const tr_net *net, const tr_layer *l);
void tr_transpose_weights(const tr_net *net, tr_layer *l);
void tr_mac_forward(tr_net *net, tr_layer *l, const float *x, float *y, int n);
void tr_mac_backward(tr_net *net, tr_layer *l, const float *x, const float *dy, float *dx, int n);

#endif
