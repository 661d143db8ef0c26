/* tests/onnx_tiny.h - a small random-weight CNN that exercises every
 * operator the ONNX importer supports, written as ONNX by onnx_gen.h:
 *
 *   x[3,H,W] -Pad(t1,r1)-> Conv3x3/2 -BN-> Relu = r1
 *   r1 -Conv3x3 group 4-> Clip(0,6) -Conv3x3 depthwise-> (+ r1) = s3   residual
 *   s3 -Conv1x1-> Sigmoid = g4 ;  s3 -Conv3x3 dilation 2-> c5
 *   Concat(g4, c5) -MaxPool2/2-> Mul[10,1,1] -AvgPool3/1 pad 1-> Flatten (CHW)
 *   -Dropout-> MatMul[F,7] -> Add[7] -> Relu -> Gemm(alpha .5, beta 2) = logits[5]
 *
 * Initializers alternate between raw_data and typed fields. test_onnx.c
 * evaluates the same network independently (plain NCHW loops). */
#ifndef VSQ_TESTS_ONNX_TINY_H
#define VSQ_TESTS_ONNX_TINY_H

#include "onnx_gen.h"

#define TINY_FMAX 640 /* flattened features for H, W <= 32 */

typedef struct {
    int h, w;              /* input size */
    int ha, wa, hb, wb, f; /* after conv1, after the max pool, flattened */
    float w1[8 * 3 * 9], b1[8], bn[4][8]; /* bn: gamma, beta, mean, var */
    float w2[8 * 2 * 9], b2[8];
    float wd[8 * 9], bd[8];
    float w4[4 * 8], b4[4];
    float w5[6 * 8 * 9], b5[6];
    float mk[10];
    float wm[TINY_FMAX * 7], ak[7];
    float wg[7 * 5], cg[5];
} tiny_net;

static inline float tiny_rand(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) / 16777216.0 - 0.5);
}

static inline void tiny_fill(float *v, int n, uint32_t *s, float scale, float offset) {
    for (int i = 0; i < n; i++) v[i] = tiny_rand(s) * scale + offset;
}

/* Random weights for an h x w input (h, w in 5..32). */
static inline void tiny_init(tiny_net *t, int h, int w, uint32_t seed) {
    memset(t, 0, sizeof *t);
    t->h = h, t->w = w;
    t->ha = (h + 1 - 3) / 2 + 1, t->wa = (w + 1 - 3) / 2 + 1;
    t->hb = (t->ha - 2) / 2 + 1, t->wb = (t->wa - 2) / 2 + 1;
    t->f = 10 * t->hb * t->wb;
    uint32_t s = seed;
    tiny_fill(t->w1, 8 * 27, &s, 0.8f, 0), tiny_fill(t->b1, 8, &s, 0.2f, 0);
    tiny_fill(t->bn[0], 8, &s, 0.5f, 1.0f), tiny_fill(t->bn[1], 8, &s, 0.4f, 0.1f);
    tiny_fill(t->bn[2], 8, &s, 0.4f, 0), tiny_fill(t->bn[3], 8, &s, 0.8f, 0.6f);
    tiny_fill(t->w2, 8 * 18, &s, 0.8f, 0), tiny_fill(t->b2, 8, &s, 0.4f, 0.5f);
    tiny_fill(t->wd, 8 * 9, &s, 0.8f, 0), tiny_fill(t->bd, 8, &s, 0.2f, 0);
    tiny_fill(t->w4, 32, &s, 1.0f, 0), tiny_fill(t->b4, 4, &s, 0.2f, 0);
    tiny_fill(t->w5, 6 * 72, &s, 0.4f, 0), tiny_fill(t->b5, 6, &s, 0.2f, 0);
    tiny_fill(t->mk, 10, &s, 1.0f, 0.2f);
    tiny_fill(t->wm, t->f * 7, &s, 0.5f, 0), tiny_fill(t->ak, 7, &s, 0.2f, 0.1f);
    tiny_fill(t->wg, 35, &s, 1.0f, 0), tiny_fill(t->cg, 5, &s, 0.2f, 0);
}

static inline void tiny_build(onnx_gen *g, const tiny_net *t) {
    int raw = 0;
#define INIT(name, arr, ...)                                                                  \
    do {                                                                                      \
        const int64_t d_[] = {__VA_ARGS__};                                                   \
        size_t n_ = 1;                                                                        \
        for (size_t i_ = 0; i_ < sizeof d_ / sizeof d_[0]; i_++) n_ *= (size_t)d_[i_];        \
        gen_init_f(g, name, d_, (int)(sizeof d_ / sizeof d_[0]), arr, n_, (raw++) % 2 == 0); \
    } while (0)
#define NODE(op, name, outs, ...)                                                     \
    gen_node(g, op, name, (const char *const[]){__VA_ARGS__},                         \
             (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)), \
             (const char *const[]){outs}, 1)
    static const int64_t pads[8] = {0, 0, 1, 0, 0, 0, 0, 1}, s2[2] = {2, 2}, k3[2] = {3, 3}, p1[4] = {1, 1, 1, 1},
                         p2[4] = {2, 2, 2, 2}, d2[2] = {2, 2}, k2[2] = {2, 2}, s1[2] = {1, 1};
    static const float lo = 0.0f, hi = 6.0f;
    gen_init_i64(g, "pads", pads, 8);
    INIT("W1", t->w1, 8, 3, 3, 3); INIT("B1", t->b1, 8);
    INIT("bn_g", t->bn[0], 8); INIT("bn_b", t->bn[1], 8); INIT("bn_m", t->bn[2], 8); INIT("bn_v", t->bn[3], 8);
    INIT("W2", t->w2, 8, 2, 3, 3); INIT("B2", t->b2, 8);
    INIT("WD", t->wd, 8, 1, 3, 3); INIT("BD", t->bd, 8);
    INIT("W4", t->w4, 4, 8, 1, 1); INIT("B4", t->b4, 4);
    INIT("W5", t->w5, 6, 8, 3, 3); INIT("B5", t->b5, 6);
    INIT("MK", t->mk, 10, 1, 1); INIT("WM", t->wm, t->f, 7); INIT("AK", t->ak, 7);
    INIT("WG", t->wg, 7, 5); INIT("CG", t->cg, 5);
    gen_init_f(g, "lo", (const int64_t[]){0}, 0, &lo, 1, 0);
    gen_init_f(g, "hi", (const int64_t[]){0}, 0, &hi, 1, 1);
    NODE("Pad", "pad", "p1", "x", "pads");
    Onnx__NodeProto *n = NODE("Conv", "conv1", "c1", "p1", "W1", "B1");
    gen_attr_ints(g, n, "strides", s2, 2), gen_attr_ints(g, n, "kernel_shape", k3, 2);
    n = NODE("BatchNormalization", "bn1", "n1", "c1", "bn_g", "bn_b", "bn_m", "bn_v");
    gen_attr_float(g, n, "epsilon", 1e-3f);
    NODE("Relu", "relu1", "r1", "n1");
    n = NODE("Conv", "conv2", "c2", "r1", "W2", "B2");
    gen_attr_int(g, n, "group", 4), gen_attr_ints(g, n, "pads", p1, 4);
    NODE("Clip", "clip2", "a2", "c2", "lo", "hi");
    n = NODE("Conv", "dw3", "d3", "a2", "WD", "BD");
    gen_attr_int(g, n, "group", 8), gen_attr_ints(g, n, "pads", p1, 4);
    NODE("Add", "add3", "s3", "d3", "r1");
    NODE("Conv", "conv4", "c4", "s3", "W4", "B4");
    NODE("Sigmoid", "sig4", "g4", "c4");
    n = NODE("Conv", "conv5", "c5", "s3", "W5", "B5");
    gen_attr_ints(g, n, "dilations", d2, 2), gen_attr_ints(g, n, "pads", p2, 4);
    n = NODE("Concat", "cat", "k", "g4", "c5");
    gen_attr_int(g, n, "axis", 1);
    n = NODE("MaxPool", "mp", "mp", "k");
    gen_attr_ints(g, n, "kernel_shape", k2, 2), gen_attr_ints(g, n, "strides", s2, 2);
    NODE("Mul", "mul", "m9", "mp", "MK");
    n = NODE("AveragePool", "ap", "ap", "m9");
    gen_attr_ints(g, n, "kernel_shape", k3, 2), gen_attr_ints(g, n, "pads", p1, 4), gen_attr_ints(g, n, "strides", s1, 2);
    NODE("Flatten", "flat", "f", "ap");
    NODE("Dropout", "drop", "fd", "f");
    NODE("MatMul", "mm", "mm", "fd", "WM");
    NODE("Add", "addb", "ma", "mm", "AK");
    NODE("Relu", "relu2", "r2", "ma");
    n = NODE("Gemm", "gemm", "logits", "r2", "WG", "CG");
    gen_attr_float(g, n, "alpha", 0.5f), gen_attr_float(g, n, "beta", 2.0f);
#undef INIT
#undef NODE
}

/* Index of the node called `name` (for the malformed-model tests). */
static inline Onnx__NodeProto *tiny_node(onnx_gen *g, const char *name) {
    for (int i = 0; i < g->n_node; i++)
        if (!strcmp(g->node[i]->name, name)) return g->node[i];
    abort();
}

#endif
