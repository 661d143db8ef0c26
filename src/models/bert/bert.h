/* models/bert/bert.h - internals of the BERT encoder (the forward pass
 * hooks, GPTQ Hessians); the public part is include/vsq/bert.h. */
#ifndef VSQ_MODELS_BERT_H
#define VSQ_MODELS_BERT_H

#include "vsq/bert.h"
#include "vsq/vsq.h"

/* Linear-layer and attention hooks used by bert_forward.c. */
vsq_status bert_linear_forward(const bert_model *m, const bert_linear *l, const float *x,
                               size_t rows, float *y, float *scratch);
int bert_attn_quantized(const bert_model *m);
/* Fake-quantize a rows x cols attention operand in place (vectors along cols). */
vsq_status bert_attn_fakequant(const bert_model *m, float *x, size_t rows, size_t cols);

/* ---- GPTQ (bert_gptq.c) ---- */

/* X^T X of every Linear layer's inputs over fp32 passes on s; hess[i]
 * (cols x cols, double) per Linear layer i. */
vsq_status bert_gptq_hessians(bert_model *m, const bert_ids *s, double ***hess);
void bert_gptq_free(const bert_model *m, double **hess);

#endif
