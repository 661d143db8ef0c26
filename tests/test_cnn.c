/* ctest-label: model */
/* MobileNetV1 end to end on the first images of ../shared: fp32 and one
 * per-vector format against stored expectations, the fake-quant fast path
 * against vsq_fakequant, the integer MAC path against fake-quant, and
 * clear errors for broken models and label files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "models/cnn/cnn.h"

#define MODEL VSQ_SHARED_DIR "/models/mobilenet_v1_0.75_224"
#define DATA VSQ_SHARED_DIR "/data/imagenet-val1300"

/* Stored expectations (first 100 images, measured with this code on x86-64
 * AVX2). Tolerance: 1 point = one image, for float summation-order noise on
 * other machines. */
#define TOL 1.01
static const double FP32_TOP1 = 74.0, FP32_TOP5 = 94.0;           /* Keras padding, half-pixel */
static const double REF_TOP1 = 63.0, REF_TOP5 = 90.0;             /* --ref-compat */
static const double V16_6_TOP1 = 65.0, V16_6_TOP5 = 89.0;         /* int6:v16 / uint6:v16 */

static cnn_model model;
static cnn_dataset data;

static int setup(void **state) {
    (void)state;
    if (cnn_model_load(MODEL, &model)) { fprintf(stderr, "%s\n", vsq_last_error()); return -1; }
    if (cnn_dataset_open(DATA, 100, &data)) return -1;
    if (cnn_dataset_cache(&data, 224, CNN_RESIZE_HALF_PIXEL, NULL)) return -1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    cnn_model_free(&model);
    cnn_dataset_free(&data);
    return 0;
}

static void test_fp32_first100(void **state) {
    (void)state;
    cnn_result r;
    assert_int_equal(cnn_evaluate(&model, NULL, &data, 0, 100, 0, &r, NULL), VSQ_OK);
    assert_int_equal(r.n, 100);
    assert_true(fabs(r.top1 - FP32_TOP1) <= TOL);
    assert_true(fabs(r.top5 - FP32_TOP5) <= TOL);
}

static void test_ref_compat_first100(void **state) {
    (void)state;
    cnn_dataset d;
    assert_int_equal(cnn_dataset_open(DATA, 100, &d), VSQ_OK);
    assert_int_equal(cnn_dataset_cache(&d, 224, CNN_RESIZE_ALIGN_CORNERS, NULL), VSQ_OK);
    cnn_model_set_padding(&model, CNN_PAD_SYMMETRIC);
    cnn_result r;
    vsq_status st = cnn_evaluate(&model, NULL, &d, 0, 100, 0, &r, NULL);
    cnn_model_set_padding(&model, CNN_PAD_KERAS);
    cnn_dataset_free(&d);
    assert_int_equal(st, VSQ_OK);
    assert_true(fabs(r.top1 - REF_TOP1) <= TOL);
    assert_true(fabs(r.top5 - REF_TOP5) <= TOL);
}

static void set_specs(cnn_qcfg *q, const char *w, const char *a) {
    cnn_qcfg_init(q);
    assert_int_equal(vsq_format_parse(w, &q->w), VSQ_OK);
    assert_int_equal(vsq_format_parse(a, &q->a), VSQ_OK);
    q->quant_w = q->quant_a = 1;
    q->a_static = q->a.gran == VSQ_GRAN_TENSOR;
}

static void test_per_vector_first100(void **state) {
    (void)state;
    cnn_qcfg q;
    set_specs(&q, "int6:v16", "uint6:v16");
    cnn_result r;
    assert_int_equal(cnn_quantize_weights(&model, &q), VSQ_OK);
    assert_int_equal(cnn_evaluate(&model, &q, &data, 0, 100, 0, &r, NULL), VSQ_OK);
    cnn_clear_weights(&model);
    assert_true(fabs(r.top1 - V16_6_TOP1) <= TOL);
    assert_true(fabs(r.top5 - V16_6_TOP5) <= TOL);
}

/* The allocation-free activation path must equal vsq_fakequant. */
static void test_fast_path_matches_library(void **state) {
    (void)state;
    const char *specs[] = {"uint4:v16", "int4:v16", "uint3:v8", "int8:v16", "uint6:pt:fp32:max"};
    int layer = -1;
    for (int i = 0; i < model.n && layer < 0; i++)
        if (model.l[i].op == CNN_CONV && model.l[i].in_nonneg) layer = i;
    assert_true(layer >= 0);
    size_t rows = 37, cols = 45;
    float *x = malloc(rows * cols * sizeof *x), *a = malloc(rows * cols * sizeof *a), *b = malloc(rows * cols * sizeof *b);
    srand(7);
    for (size_t j = 0; j < rows * cols; j++) x[j] = (float)rand() / RAND_MAX * 6.0f * (j % 5 ? 1.0f : 0.01f);
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        cnn_qcfg q;
        set_specs(&q, "int8:pc", specs[s]);
        if (q.a_static) {
            q.alpha = calloc((size_t)model.n, sizeof(float));
            q.alpha[layer] = 4.5f;
        }
        memcpy(a, x, rows * cols * sizeof *x);
        memcpy(b, x, rows * cols * sizeof *x);
        assert_int_equal(cnn_quant_act(&q, &model, layer, a, rows, cols), VSQ_OK);
        q.slow = 1;
        assert_int_equal(cnn_quant_act(&q, &model, layer, b, rows, cols), VSQ_OK);
        assert_memory_equal(a, b, rows * cols * sizeof *a);
        cnn_qcfg_free(&q);
    }
    free(x), free(a), free(b);
}

/* Integer vector-MAC path vs fake-quant float math: the same predicted
 * class on every image (and so the same top-1 / top-5). */
static int argmax(const float *x, int n) {
    int b = 0;
    for (int i = 1; i < n; i++) b = x[i] > x[b] ? i : b;
    return b;
}

static void int_vs_fake(const char *cfg, int n_img) {
    vsq_layer_cfg lc;
    assert_int_equal(vsq_layer_cfg_parse(cfg, 16, &lc), VSQ_OK);
    cnn_qcfg qf, qi;
    cnn_qcfg_init(&qf);
    qf.w = lc.w, qf.a = lc.a, qf.quant_w = qf.quant_a = 1;
    qi = qf;
    qi.use_int = 1;
    cnn_work w;
    assert_int_equal(cnn_work_alloc(&model, &w), VSQ_OK);
    float *lf = malloc(model.n_classes * sizeof *lf), *li = malloc(model.n_classes * sizeof *li);
    size_t per = 224 * 224 * 3;
    /* fills both the fake-quant weights and the integer ones; qf ignores the latter */
    assert_int_equal(cnn_quantize_weights(&model, &qi), VSQ_OK);
    for (int i = 0; i < n_img; i++) {
        assert_int_equal(cnn_forward(&model, &qf, &w, data.pix + per * i, lf, NULL, NULL), VSQ_OK);
        assert_int_equal(cnn_forward(&model, &qi, &w, data.pix + per * i, li, NULL, NULL), VSQ_OK);
        assert_int_equal(argmax(lf, model.n_classes), argmax(li, model.n_classes));
    }
    cnn_clear_weights(&model);
    cnn_work_free(&w);
    free(lf), free(li);
}

static void test_int_path_w8a8(void **state) { (void)state; int_vs_fake("8/8U/6/6", 10); }
static void test_int_path_w4a8(void **state) { (void)state; int_vs_fake("4/8U/4/6", 10); }

/* ---- bad inputs: a tiny one-conv model in a temp folder ---- */
static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *tiny_model(const char *extra_layer, size_t shard_floats, char *dir) {
    strcpy(dir, "/tmp/vsq_cnn_XXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[512], json[4096];
    snprintf(json, sizeof json,
             "{\"modelTopology\": {\"model_config\": {\"class_name\": \"Model\", \"config\": {\"layers\": ["
             "{\"class_name\": \"InputLayer\", \"name\": \"in\", \"inbound_nodes\": [], \"config\": {\"name\": \"in\", \"batch_input_shape\": [null, 1, 1, 3]}},"
             "{\"class_name\": \"Conv2D\", \"name\": \"c\", \"inbound_nodes\": [[[\"in\", 0, 0, {}]]], \"config\": {\"name\": \"c\", \"filters\": 2, \"kernel_size\": [1, 1], \"strides\": [1, 1], \"padding\": \"same\", \"use_bias\": false, \"activation\": \"linear\"}}"
             "%s]}}},"
             "\"weightsManifest\": [{\"paths\": [\"group1-shard1of1\"], \"weights\": [{\"name\": \"c/kernel\", \"shape\": [1, 1, 3, 2], \"dtype\": \"float32\"}]}]}",
             extra_layer);
    snprintf(path, sizeof path, "%s/model.json", dir);
    write_text(path, json);
    snprintf(path, sizeof path, "%s/group1-shard1of1", dir);
    FILE *f = fopen(path, "wb");
    float w[6] = {1, 2, 3, 4, 5, 6};
    fwrite(w, sizeof(float), shard_floats, f);
    fclose(f);
    return dir;
}

static void remove_tiny(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/model.json", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/group1-shard1of1", dir);
    unlink(path);
    rmdir(dir);
}

static void test_tiny_model_loads(void **state) {
    (void)state;
    char dir[64];
    cnn_model m;
    tiny_model("", 6, dir);
    assert_int_equal(cnn_model_load(dir, &m), VSQ_OK);
    assert_int_equal(m.n_classes, 2);
    cnn_model_free(&m);
    remove_tiny(dir);
}

static void test_unknown_layer(void **state) {
    (void)state;
    char dir[64];
    cnn_model m;
    tiny_model(",{\"class_name\": \"Conv3DTranspose\", \"name\": \"z\", \"inbound_nodes\": [[[\"c\", 0, 0, {}]]], \"config\": {\"name\": \"z\"}}", 6, dir);
    assert_int_equal(cnn_model_load(dir, &m), VSQ_EUNSUPPORTED);
    assert_non_null(strstr(vsq_last_error(), "unknown layer type 'Conv3DTranspose'"));
    remove_tiny(dir);
}

static void test_short_shard(void **state) {
    (void)state;
    char dir[64];
    cnn_model m;
    tiny_model("", 4, dir);
    assert_int_equal(cnn_model_load(dir, &m), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "short"));
    remove_tiny(dir);
    tiny_model("", 6, dir);
    char path[512];
    snprintf(path, sizeof path, "%s/group1-shard1of1", dir);
    unlink(path);
    assert_int_equal(cnn_model_load(dir, &m), VSQ_EIO);
    assert_non_null(strstr(vsq_last_error(), "missing weight shard"));
    remove_tiny(dir);
}

static void test_bad_labels_and_jpeg(void **state) {
    (void)state;
    char dir[] = "/tmp/vsq_cnn_data_XXXXXX", path[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/labels.txt", dir);
    write_text(path, "images/a.JPEG 3\nimages/b.JPEG\n");
    cnn_dataset d;
    assert_int_equal(cnn_dataset_open(dir, 0, &d), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "labels.txt:2"));
    write_text(path, "bad.jpg 1\n");
    assert_int_equal(cnn_dataset_open(dir, 0, &d), VSQ_OK);
    snprintf(path, sizeof path, "%s/bad.jpg", dir);
    write_text(path, "\xff\xd8\xff\xe0 this is not a jpeg");
    assert_int_equal(cnn_dataset_cache(&d, 224, CNN_RESIZE_HALF_PIXEL, NULL), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "corrupt JPEG"));
    cnn_dataset_free(&d);
    unlink(path);
    snprintf(path, sizeof path, "%s/labels.txt", dir);
    unlink(path);
    rmdir(dir);
}

/* The CLI maps bad input to exit code 2 with a message. */
static void test_cli_bad_input(void **state) {
    (void)state;
    char dir[64], cmd[1024];
    tiny_model("", 3, dir);
    snprintf(cmd, sizeof cmd, "%s eval-cnn --model %s --limit 1 --json /dev/null 2>/dev/null", VSQ_CLI, dir);
    int rc = system(cmd);
    remove_tiny(dir);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_model_loads),
        cmocka_unit_test(test_unknown_layer),
        cmocka_unit_test(test_short_shard),
        cmocka_unit_test(test_bad_labels_and_jpeg),
        cmocka_unit_test(test_cli_bad_input),
        cmocka_unit_test(test_fp32_first100),
        cmocka_unit_test(test_ref_compat_first100),
        cmocka_unit_test(test_per_vector_first100),
        cmocka_unit_test(test_fast_path_matches_library),
        cmocka_unit_test(test_int_path_w8a8),
        cmocka_unit_test(test_int_path_w4a8),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
