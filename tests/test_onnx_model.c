/* ctest-label: model */
/* EfficientNet-Lite0 from ../shared as ONNX, on the first images: the
 * graph has the operators its README lists, fp32 top-1 on 200 images is
 * consistent with the README's independent reference, and 8-bit
 * per-vector quantization on the residual graph barely moves the
 * predictions. The full 1300-image check is in test_onnx_full.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/cnn/cnn.h"

#define MODEL VSQ_SHARED_DIR "/models/efficientnet-lite0/model.onnx"
#define DATA VSQ_SHARED_DIR "/data/imagenet-val1300"
#define N_IMG 200

static cnn_model model;
static cnn_dataset data;

static int setup(void **state) {
    (void)state;
    cnn_preproc pp;
    if (cnn_model_open(MODEL, &model)) { fprintf(stderr, "%s\n", vsq_last_error()); return -1; }
    if (cnn_preproc_preset("efficientnet", 224, &pp) || cnn_dataset_open(DATA, N_IMG, &data)) return -1;
    return cnn_dataset_cache_pp(&data, &pp, NULL) ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    cnn_dataset_free(&data);
    cnn_model_free(&model);
    return 0;
}

/* README: Conv 49 (incl. depthwise), Pad 17, Clip 33, Add 9, GAP 1,
 * Reshape 1 (no node: a free reshape), Gemm 1; input 1x3x224x224. */
static void test_structure(void **state) {
    (void)state;
    int n[CNN_N_OPS] = {0};
    for (int i = 0; i < model.n; i++) n[model.l[i].op]++;
    assert_int_equal(n[CNN_CONV] + n[CNN_DWCONV], 49);
    assert_int_equal(n[CNN_PAD], 17);
    assert_int_equal(n[CNN_CLIP], 33);
    assert_int_equal(n[CNN_ADD], 9);
    assert_int_equal(n[CNN_GAP], 1);
    assert_int_equal(n[CNN_DENSE], 1);
    assert_int_equal(model.n, 49 + 17 + 33 + 9 + 1 + 1);
    assert_int_equal(model.in_h, 224);
    assert_int_equal(model.in_c, 3);
    assert_int_equal(model.n_classes, 1000);
    /* Clip(0, 6) outputs are unsigned: every depthwise / projection input */
    for (int i = 0; i < model.n; i++)
        if (model.l[i].op == CNN_DWCONV) assert_true(model.l[i].in_nonneg);
    /* liveness: a handful of buffers for 111 nodes */
    fprintf(stderr, "effnet: %d nodes, %d tensors, %d buffers, largest %zu floats\n", model.n, model.n_t,
            model.n_slots, model.max_act);
    assert_true(model.n_slots <= 4);
}

/* README reference on all 1300 images: 82.38 % (PyTorch, cross-checked with
 * onnxruntime). On 200 images the binomial standard error is ~2.7 points,
 * so 3 sigma (8 points) is the honest tolerance of this subset. */
static void test_fp32_first200(void **state) {
    (void)state;
    cnn_result r;
    assert_int_equal(cnn_evaluate(&model, NULL, &data, 0, N_IMG, 0, &r, NULL), VSQ_OK);
    fprintf(stderr, "effnet fp32 first %d: top1 %.2f top5 %.2f\n", N_IMG, r.top1, r.top5);
    double se = 100 * sqrt(0.8238 * (1 - 0.8238) / N_IMG);
    assert_true(fabs(r.top1 - 82.38) <= 3 * se);
}

static int argmax(const float *x, int n) {
    int b = 0;
    for (int i = 1; i < n; i++) b = x[i] > x[b] ? i : b;
    return b;
}

/* W8A8 per-vector (V=16, two-level 6-bit scales, dynamic activations):
 * the quantization noise is ~2^-8 of each vector's range, so the top-1
 * class should almost never change. */
static void test_int8_agrees(void **state) {
    (void)state;
    cnn_qcfg q;
    cnn_qcfg_init(&q);
    assert_int_equal(vsq_format_parse("int8:v16:s6", &q.w), VSQ_OK);
    assert_int_equal(vsq_format_parse("uint8:v16:s6", &q.a), VSQ_OK);
    q.quant_w = q.quant_a = 1;
    assert_int_equal(cnn_quantize_weights(&model, &q), VSQ_OK);
    cnn_work w;
    assert_int_equal(cnn_work_alloc(&model, &w), VSQ_OK);
    float a[1000], b[1000];
    int same = 0, n = 40;
    size_t per = (size_t)224 * 224 * 3;
    for (int i = 0; i < n; i++) {
        assert_int_equal(cnn_forward(&model, NULL, &w, data.pix + per * i, a, NULL, NULL), VSQ_OK);
        assert_int_equal(cnn_forward(&model, &q, &w, data.pix + per * i, b, NULL, NULL), VSQ_OK);
        same += argmax(a, 1000) == argmax(b, 1000);
    }
    fprintf(stderr, "effnet W8A8 v16: top-1 class unchanged on %d of %d images\n", same, n);
    assert_true(same >= n - 2);
    cnn_work_free(&w);
    cnn_clear_weights(&model);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_fp32_first200),
        cmocka_unit_test(test_int8_agrees),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
