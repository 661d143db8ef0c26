/* Writes a small seed corpus for the fuzz targets into
 * OUTDIR/{npy,spec,container,tfjs,llm,tokenizer}. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vsq/vsq.h"
#include <stdint.h>

static int write_seed(const char *dir, const char *kind, int i, const void *p, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/seed%02d", dir, kind, i);
    if (vsq_write_atomic(path, p, n) != VSQ_OK) {
        fprintf(stderr, "fuzz_seeds: %s\n", vsq_last_error());
        return 1;
    }
    return 0;
}

static int npy_seeds(const char *dir) {
    static const vsq_dtype types[] = {VSQ_DTYPE_F32, VSQ_DTYPE_F64, VSQ_DTYPE_I8, VSQ_DTYPE_U8,
                                      VSQ_DTYPE_I32};
    double buf[64] = {0};
    for (int i = 0; i < 64; i++) buf[i] = i * 0.5 - 7;
    int k = 0;
    for (int d = 0; d < 5; d++) {
        for (int nd = 0; nd <= 3; nd++) {
            vsq_tensor t = {types[d], nd, {2, 3, 2}, buf};
            char path[1024];
            snprintf(path, sizeof path, "%s/npy/seed%02d", dir, k++);
            if (vsq_npy_save(path, &t) != VSQ_OK) return 1;
        }
    }
    /* a version 2.0 header, written by hand */
    const char h[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
    unsigned char v2[12 + sizeof h - 1 + 8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, sizeof h - 1};
    memcpy(v2 + 12, h, sizeof h - 1);
    return write_seed(dir, "npy", k, v2, sizeof v2);
}

static int spec_seeds(const char *dir) {
    static const char *specs[] = {"int4:v16:s6", "uint8:pt:fp32:entropy", "int8:pc", "int4:v32:e8m0",
                                  "int3:v16:fp32:octav", "int4f:v16:s6r@pt:p99.99", "int2:v1:fp16:mse",
                                  "int8:v4:s10c", "4/8/6/10", "4/4U/4/4", "8/8/-/-", "6/6/-/4"};
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++)
        if (write_seed(dir, "spec", i, specs[i], strlen(specs[i]))) return 1;
    return 0;
}

static int container_seeds(const char *dir) {
    static const char *specs[] = {"int8:pt", "int4:pc", "uint4:v4:fp32", "int4:v8:fp16",
                                  "int4:v8:e8m0", "int4:v4:s6", "int3f:v3:s4r@pt", "uint2:v2:s3c"};
    float x[4 * 10];
    for (int i = 0; i < 40; i++) x[i] = (float)((i * 7919) % 23) - 11.0f;
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++) {
        vsq_qfile f = {.ndim = 2, .shape = {4, 10}, .axis = 1};
        vsq_format fmt;
        uint8_t *buf;
        size_t len;
        if (vsq_format_parse(specs[i], &fmt) || vsq_quantize(&fmt, x, 4, 10, 4, &f.q) ||
            vsq_container_encode(&f, &buf, &len)) {
            fprintf(stderr, "fuzz_seeds: %s: %s\n", specs[i], vsq_last_error());
            return 1;
        }
        int rc = write_seed(dir, "container", i, buf, len);
        free(buf);
        vsq_qtensor_free(&f.q);
        if (rc) return 1;
    }
    return 0;
}

/* A tiny Keras model in TF.js form: every layer type the loader knows.
 * 4x4x3 input -> pad -> conv 3x3/2 (+BN, relu6) -> depthwise 3x3 same
 * (relu) -> GAP -> reshape -> 1x1 conv classifier (softmax) -> reshape;
 * and a Dense-classifier variant. Fuzz input: JSON, NUL, weight bytes. */
static const char *tfjs_layers[] = {
    "{\"class_name\":\"InputLayer\",\"config\":{\"batch_input_shape\":[null,4,4,3],\"name\":\"in\"}},"
    "{\"class_name\":\"ZeroPadding2D\",\"config\":{\"name\":\"pad\",\"padding\":[[0,1],[0,1]]}},"
    "{\"class_name\":\"Conv2D\",\"config\":{\"name\":\"c1\",\"filters\":4,\"kernel_size\":[3,3],"
    "\"strides\":[2,2],\"padding\":\"valid\",\"use_bias\":false,\"activation\":\"linear\"}},"
    "{\"class_name\":\"BatchNormalization\",\"config\":{\"name\":\"bn\",\"axis\":-1,\"epsilon\":0.001}},"
    "{\"class_name\":\"Activation\",\"config\":{\"name\":\"r6\",\"activation\":\"relu6\"}},"
    "{\"class_name\":\"DepthwiseConv2D\",\"config\":{\"name\":\"dw\",\"kernel_size\":[3,3],"
    "\"strides\":[1,1],\"padding\":\"same\",\"use_bias\":true,\"activation\":\"linear\"}},"
    "{\"class_name\":\"ReLU\",\"config\":{\"name\":\"r\"}},"
    "{\"class_name\":\"GlobalAveragePooling2D\",\"config\":{\"name\":\"gap\"}},",
    /* classifier 1: 1x1 conv */
    "{\"class_name\":\"Reshape\",\"config\":{\"name\":\"rs\",\"target_shape\":[1,1,4]}},"
    "{\"class_name\":\"Dropout\",\"config\":{\"name\":\"drop\"}},"
    "{\"class_name\":\"Conv2D\",\"config\":{\"name\":\"preds\",\"filters\":3,\"kernel_size\":[1,1],"
    "\"strides\":[1,1],\"padding\":\"same\",\"use_bias\":true,\"activation\":\"linear\"}},"
    "{\"class_name\":\"Softmax\",\"config\":{\"name\":\"sm\"}},"
    "{\"class_name\":\"Reshape\",\"config\":{\"name\":\"out\",\"target_shape\":[3]}}",
    /* classifier 2: dense */
    "{\"class_name\":\"Flatten\",\"config\":{\"name\":\"fl\"}},"
    "{\"class_name\":\"Dense\",\"config\":{\"name\":\"preds\",\"units\":3,\"use_bias\":true,"
    "\"activation\":\"softmax\"}}"};

static int tfjs_seeds(const char *dir) {
    static const char *weights[2] = {
        "{\"name\":\"preds/kernel\",\"shape\":[1,1,4,3],\"dtype\":\"float32\"}",
        "{\"name\":\"preds/kernel\",\"shape\":[4,3],\"dtype\":\"float32\"}"};
    static const char common[] =
        "{\"name\":\"c1/kernel\",\"shape\":[3,3,3,4],\"dtype\":\"float32\"},"
        "{\"name\":\"bn/gamma\",\"shape\":[4],\"dtype\":\"float32\"},"
        "{\"name\":\"bn/beta\",\"shape\":[4],\"dtype\":\"float32\"},"
        "{\"name\":\"bn/moving_mean\",\"shape\":[4],\"dtype\":\"float32\"},"
        "{\"name\":\"bn/moving_variance\",\"shape\":[4],\"dtype\":\"float32\"},"
        "{\"name\":\"dw/depthwise_kernel\",\"shape\":[3,3,4,1],\"dtype\":\"float32\"},"
        "{\"name\":\"dw/bias\",\"shape\":[4],\"dtype\":\"float32\"},";
    enum { N_FLOATS = 108 + 16 + 36 + 4 + 12 + 3 };
    for (int v = 0; v < 2; v++) {
        char json[4096];
        int n = snprintf(json, sizeof json,
                         "{\"modelTopology\":{\"model_config\":{\"class_name\":\"Sequential\","
                         "\"config\":{\"layers\":[%s%s]}}},\"weightsManifest\":[{\"paths\":"
                         "[\"group1-shard1of1\"],\"weights\":[%s%s,"
                         "{\"name\":\"preds/bias\",\"shape\":[3],\"dtype\":\"float32\"}]}]}",
                         tfjs_layers[0], tfjs_layers[1 + v], common, weights[v]);
        static uint8_t buf[4096 + 1 + 4 * N_FLOATS];
        memcpy(buf, json, (size_t)n);
        buf[n] = 0;
        for (int i = 0; i < N_FLOATS; i++) {
            float w = (float)((i * 37) % 11 - 5) * 0.1f + (i >= 108 + 4 && i < 108 + 12 ? 1.0f : 0.0f);
            memcpy(buf + n + 1 + 4 * i, &w, 4);
        }
        if (write_seed(dir, "tfjs", v, buf, (size_t)n + 1 + 4 * N_FLOATS)) return 1;
    }
    return 0;
}

/* A tiny llama2.c checkpoint: dim 8, hidden 16, 1 layer, 2 heads, 1 KV
 * head (GQA), vocab 8, seq_len 4; shared and unshared classifier. */
static int llm_seeds(const char *dir) {
    for (int shared = 0; shared < 2; shared++) {
        int32_t h[7] = {8, 16, 1, 2, 1, shared ? 8 : -8, 4};
        size_t d = 8, hid = 16, kv = 4, v = 8, hs = 4;
        size_t n = v * d + d + d * d * 2 + kv * d * 2 + d + hid * d * 3 + d + 4 * hs + (shared ? 0 : v * d);
        size_t len = sizeof h + n * 4;
        uint8_t *buf = malloc(len);
        if (!buf) return 1;
        memcpy(buf, h, sizeof h);
        for (size_t i = 0; i < n; i++) {
            float w = (float)((int)((i * 7919) % 17) - 8) * 0.05f;
            memcpy(buf + sizeof h + 4 * i, &w, 4);
        }
        int rc = write_seed(dir, "llm", shared, buf, len);
        free(buf);
        if (rc) return 1;
    }
    return 0;
}

/* A llama2.c tokenizer with 259 + K tokens: <unk>, <s>, </s>, the 256
 * byte pieces, then a few merges. First byte: K. */
static int tokenizer_seeds(const char *dir) {
    static const char *extra[] = {" ",  "e",  "n",    "c",   "O",    "u",     "p",  "o",
                                  "a",  "t",  "i",    "m",   "On",   "ce",    " u", "on",
                                  "Once", " up", "upon",
                                  " upon", " a", " t", "im", "ime", " time", ","};
    const int k = (int)(sizeof extra / sizeof extra[0]);
    size_t cap = 1 + 4 + (size_t)(259 + k) * 16, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) return 1;
    buf[len++] = (uint8_t)k;
    int32_t max_len = 8;
    memcpy(buf + len, &max_len, 4), len += 4;
    for (int i = 0; i < 259 + k; i++) {
        char piece[16];
        if (i < 3) snprintf(piece, sizeof piece, "%s", i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>");
        else if (i < 259) snprintf(piece, sizeof piece, "<0x%02X>", i - 3);
        else snprintf(piece, sizeof piece, "%s", extra[i - 259]);
        float score = i < 259 ? 0.0f : -(float)(i - 259);
        int32_t n = (int32_t)strlen(piece);
        memcpy(buf + len, &score, 4), memcpy(buf + len + 4, &n, 4), len += 8;
        memcpy(buf + len, piece, (size_t)n), len += (size_t)n;
    }
    int rc = write_seed(dir, "tokenizer", 0, buf, len);
    free(buf);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds OUTDIR\n");
        return 2;
    }
    const char *kinds[] = {"npy", "spec", "container", "tfjs", "llm", "tokenizer"};
    for (int i = 0; i < 6; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", argv[1], kinds[i]);
        mkdir(argv[1], 0755);
        mkdir(path, 0755);
    }
    return npy_seeds(argv[1]) || spec_seeds(argv[1]) || container_seeds(argv[1]) ||
           tfjs_seeds(argv[1]) || llm_seeds(argv[1]) || tokenizer_seeds(argv[1]);
}
