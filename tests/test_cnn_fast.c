/* ctest-label: model */
/* The CNN's allocation-free activation quantizer (act_fast.c) against the
 * library: bit-identical to vsq_fakequant (channels = 1) on real MobileNet
 * activations (first conv input, pointwise / depthwise-window / dense
 * inputs) and on random data, for two-level sM (also @pt), fp32 and fp16
 * scales, int and uint, V dividing the row or not. The packed two-level
 * activations carry the library's codes and integer scales. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/cnn/act_fast.h"
#include "models/cnn/cnn.h"

#define MODEL VSQ_SHARED_DIR "/models/mobilenet_v1_0.75_224"
#define DATA VSQ_SHARED_DIR "/data/imagenet-val1300"

static const char *specs[] = {"uint4:v16:s4", "int4:v16:s6", "uint6:v16:s6", "uint8:v16:s6@pt",
                              "int8:v16:s4@pt", "uint3:v16:s3", "int3:v16:s8", "uint4:v12:s4",
                              "int6:v5:s6", "uint8:v16:s10", "uint6:v16", "int4:v16", "uint4:v16:fp16",
                              "int6:v7:fp16", "uint3:v32", "int8:v16:fp16"};
#define NSPEC (sizeof specs / sizeof specs[0])

typedef struct {
    float *x;
    size_t rows, cols;
    char what[64];
} sample;

static sample samples[8];
static int n_samples;

static void add_sample(const float *x, size_t rows, size_t cols, const char *what) {
    sample *s = &samples[n_samples++];
    s->x = malloc(rows * cols * sizeof *s->x);
    memcpy(s->x, x, rows * cols * sizeof *s->x);
    s->rows = rows, s->cols = cols;
    snprintf(s->what, sizeof s->what, "%s", what);
}

/* Capture the inputs of the first conv, one pointwise conv, one depthwise
 * layer (as its window matrix) and the classifier. */
typedef struct {
    const cnn_model *m;
    int got_pw, got_dw;
} grab_ctx;

static void grab(void *vctx, int i, const float *x, size_t n) {
    grab_ctx *c = vctx;
    const cnn_layer *l = &c->m->l[i];
    if (n_samples >= 6) return;
    if (l->op == CNN_CONV && l->cin == 3) {
        float *col = malloc((size_t)l->oh * l->ow * l->k * sizeof *col);
        cnn_im2col(l, x, col);
        add_sample(col, (size_t)l->oh * l->ow, (size_t)l->k, "first conv (im2col)");
        free(col);
    } else if (l->op == CNN_CONV && l->kh == 1 && !c->got_pw && l->cin >= 128) {
        add_sample(x, (size_t)l->ih * l->iw, (size_t)l->cin, "pointwise input");
        c->got_pw = 1;
    } else if (l->op == CNN_DWCONV && !c->got_dw && l->cin >= 96) {
        size_t rows = (size_t)l->oh * l->ow * l->cin;
        float *col = malloc(rows * l->k * sizeof *col);
        cnn_dw_im2col(l, x, col);
        add_sample(col, rows, (size_t)l->k, "depthwise windows");
        free(col);
        c->got_dw = 1;
    } else if (l->op == CNN_DENSE || (l->op == CNN_CONV && l->oh == 1 && l->cout >= 1000)) {
        add_sample(x, 1, n, "classifier input");
    }
}

static int setup(void **state) {
    (void)state;
    cnn_model m;
    cnn_dataset d;
    if (cnn_model_load(MODEL, &m)) { fprintf(stderr, "%s\n", vsq_last_error()); return -1; }
    if (cnn_dataset_open(DATA, 2, &d) || cnn_dataset_cache(&d, 224, CNN_RESIZE_HALF_PIXEL, NULL)) return -1;
    cnn_work w;
    float *logits = malloc((size_t)m.n_classes * sizeof *logits);
    grab_ctx c = {&m, 0, 0};
    if (cnn_work_alloc(&m, &w) || cnn_forward(&m, NULL, &w, d.pix + 224 * 224 * 3, logits, grab, &c)) return -1;
    cnn_work_free(&w);
    free(logits);
    cnn_model_free(&m);
    cnn_dataset_free(&d);
    /* random: signed, mixed magnitudes, exact zeros, one all-zero vector, ties */
    size_t rows = 37, cols = 45;
    float *x = malloc(rows * cols * sizeof *x);
    srand(11);
    for (size_t j = 0; j < rows * cols; j++) {
        float u = (float)rand() / RAND_MAX * 2.0f - 1.0f;
        x[j] = j % 7 == 0 ? 0.0f : u * (j % 5 ? 3.0f : 0.001f);
    }
    for (size_t j = 0; j < 16; j++) x[2 * cols + j] = 0.0f;
    for (size_t j = 0; j < cols; j++) x[5 * cols + j] = (float)(j % 9) * 0.5f - 2.0f;
    add_sample(x, rows, cols, "random");
    /* K = 24: a short last vector of 8 at V = 16 (MobileNet's conv_pw_1) */
    for (size_t j = 0; j < 29 * 24; j++) x[j] = x[j + 3] * (j % 24 < 16 ? 1.0f : 5.0f);
    add_sample(x, 29, 24, "random, K = 24");
    free(x);
    return n_samples >= 4 ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    for (int i = 0; i < n_samples; i++) free(samples[i].x);
    return 0;
}

static void test_fakequant_bit_identical(void **state) {
    (void)state;
    for (int i = 0; i < n_samples; i++) {
        const sample *s = &samples[i];
        size_t n = s->rows * s->cols;
        float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        for (size_t k = 0; k < NSPEC; k++) {
            vsq_format f;
            assert_int_equal(vsq_format_parse(specs[k], &f), VSQ_OK);
            assert_true(cnn_fast_act_ok(&f, 0));
            memcpy(a, s->x, n * sizeof *a);
            assert_int_equal(cnn_fast_fakequant(&f, a, s->rows, s->cols, NULL, s->what), VSQ_OK);
            assert_int_equal(vsq_fakequant(&f, s->x, s->rows, s->cols, 1, b), VSQ_OK);
            if (memcmp(a, b, n * sizeof *a)) fail_msg("%s, %s: differs from vsq_fakequant", s->what, specs[k]);
        }
        free(a), free(b);
    }
}

/* Static per-tensor (pt) with a given clip value. */
static void test_static_pt(void **state) {
    (void)state;
    const sample *s = &samples[n_samples - 1];
    size_t n = s->rows * s->cols;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), alpha = 1.7f;
    const char *pt[] = {"int4:pt:fp32:max", "uint6:pt:fp32:p99.99", "int8:pt"};
    for (size_t k = 0; k < 3; k++) {
        vsq_format f;
        assert_int_equal(vsq_format_parse(pt[k], &f), VSQ_OK);
        assert_true(cnn_fast_act_ok(&f, 1));
        memcpy(a, s->x, n * sizeof *a);
        assert_int_equal(cnn_fast_fakequant(&f, a, s->rows, s->cols, &alpha, "pt"), VSQ_OK);
        vsq_qtensor q;
        assert_int_equal(vsq_quantize_with_alpha(&f, s->x, s->rows, s->cols, 1, &alpha, &q), VSQ_OK);
        assert_int_equal(vsq_dequantize(&q, b), VSQ_OK);
        vsq_qtensor_free(&q);
        assert_memory_equal(a, b, n * sizeof *a);
    }
    free(a), free(b);
}

/* Packed activations: same codes (where the vector's scale is non-zero),
 * integer scales and gamma as vsq_quantize with one coarse group. */
static void test_packed_matches_quantize(void **state) {
    (void)state;
    const char *two[] = {"uint8:v16:s6", "int8:v16:s4", "uint4:v32:s6", "int6:v64:s8"};
    vsq_packed_a p;
    memset(&p, 0, sizeof p);
    for (int i = 0; i < n_samples; i++) {
        const sample *s = &samples[i];
        for (size_t k = 0; k < 4; k++) {
            vsq_format f;
            vsq_qtensor q;
            assert_int_equal(vsq_format_parse(two[k], &f), VSQ_OK);
            assert_int_equal(cnn_pack_act_two_level(&f, s->x, s->rows, s->cols, &p, s->what), VSQ_OK);
            assert_int_equal(vsq_quantize(&f, s->x, s->rows, s->cols, 1, &q), VSQ_OK);
            for (size_t r = 0; r < s->rows; r++) {
                assert_true(p.gamma[r] == q.gamma[0]);
                for (size_t j = 0; j < q.n_vec; j++) {
                    uint16_t sq = q.sq[r * q.n_vec + j];
                    assert_true(p.scale[r * p.n_vec + j] == (double)sq);
                    for (size_t c = j * q.vec_len; sq && c < (j + 1) * q.vec_len && c < s->cols; c++)
                        assert_int_equal(p.codes[r * p.kp + c], q.codes[r * s->cols + c]);
                }
                for (size_t c = s->cols; c < p.kp; c++) assert_int_equal(p.codes[r * p.kp + c], 0);
            }
            vsq_qtensor_free(&q);
        }
    }
    vsq_packed_a_free(&p);
}

static void test_bad_input(void **state) {
    (void)state;
    vsq_format f;
    float x[20] = {1, 2, 3};
    x[7] = NAN;
    assert_int_equal(vsq_format_parse("uint4:v16:s4", &f), VSQ_OK);
    assert_int_equal(cnn_fast_fakequant(&f, x, 2, 10, NULL, "t"), VSQ_ENONFINITE);
    vsq_packed_a p;
    memset(&p, 0, sizeof p);
    assert_int_equal(cnn_pack_act_two_level(&f, x, 2, 10, &p, "t"), VSQ_ENONFINITE);
    assert_int_equal(vsq_format_parse("uint4:v16:s4r", &f), VSQ_OK); /* refined: library path */
    assert_false(cnn_fast_act_ok(&f, 0));
    assert_int_equal(cnn_pack_act_two_level(&f, x, 2, 10, &p, "t"), VSQ_EUNSUPPORTED);
    vsq_packed_a_free(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fakequant_bit_identical),
        cmocka_unit_test(test_static_pt),
        cmocka_unit_test(test_packed_matches_quantize),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
