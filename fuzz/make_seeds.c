/* Writes a small seed corpus for the fuzz targets into
 * OUTDIR/{npy,spec,container,tfjs,llm,tokenizer,gguf,safetensors,hfconfig,wordpiece,onnx}. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vsq/safetensors.h"
#include "vsq/vsq.h"
#include <stdint.h>
#include "onnx_tiny.h" /* tests/: the generated test CNN */

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

/* A safetensors image: 8-byte little-endian header length, header, data. */
static int st_seed(const char *dir, int i, const char *header, const void *data, size_t dlen) {
    size_t h = strlen(header), len = 8 + h + dlen;
    uint8_t *b = malloc(len);
    if (!b) return 1;
    for (int k = 0; k < 8; k++) b[k] = (uint8_t)((uint64_t)h >> (8 * k));
    memcpy(b + 8, header, h);
    if (dlen) memcpy(b + 8 + h, data, dlen);
    int rc = write_seed(dir, "safetensors", i, b, len);
    free(b);
    return rc;
}

static int safetensors_seeds(const char *dir) {
    /* F32 [2,2] 1,-2,0.5,3 | F16 [3] 1,-2,65504 | BF16 [1] 1.5 | I64 [1] 7 */
    static const uint8_t data[] = {
        0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f, 0, 0, 0x40, 0x40, /* a */
        0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b,                               /* b */
        0xc0, 0x3f,                                                       /* c */
        7, 0, 0, 0, 0, 0, 0, 0};                                          /* d */
    static const char *const headers[] = {
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}",
        "{\"__metadata__\":{\"format\":\"pt\"},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
        "\"b\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[16,22]},"
        "\"c\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[22,24]},"
        "\"d\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[24,32]}}     ",
        ("{\"encoder.layer.0.attention.self.query.weight\":{\"dtype\":\"F16\",\"shape\":[1,3],"
         "\"data_offsets\":[0,6]},\"x\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[6,8]}}"),
        "{\"empty\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[0,0]}}",
        "{}",
    };
    static const size_t dlens[] = {16, 32, 8, 0, 0};
    static const size_t dofs[] = {0, 0, 16, 0, 0};
    for (int i = 0; i < (int)(sizeof headers / sizeof headers[0]); i++)
        if (st_seed(dir, i, headers[i], data + dofs[i], dlens[i])) return 1;
    return 0;
}

static int hfconfig_seeds(const char *dir) {
    static const char *const configs[] = {
        "{\"architectures\": [\"BertModel\"], \"attention_probs_dropout_prob\": 0.1,\n"
        " \"hidden_act\": \"gelu\", \"hidden_size\": 384, \"intermediate_size\": 1536,\n"
        " \"layer_norm_eps\": 1e-12, \"max_position_embeddings\": 512, \"model_type\": \"bert\",\n"
        " \"num_attention_heads\": 12, \"num_hidden_layers\": 6, \"pad_token_id\": 0,\n"
        " \"type_vocab_size\": 2, \"use_cache\": true, \"vocab_size\": 30522}\n",
        "{\"hidden_size\": 384.0, \"vocab_size\": null, \"layer_norm_eps\": \"1e-12\"}",
        "{\"hidden_size\": -9007199254740993, \"num_attention_heads\": 1e400}",
        "[1, 2]",
    };
    for (int i = 0; i < (int)(sizeof configs / sizeof configs[0]); i++)
        if (write_seed(dir, "hfconfig", i, configs[i], strlen(configs[i]))) return 1;
    return 0;
}

static int wordpiece_seeds(const char *dir) {
    static const char *const seeds[] = {
        "the rock is destined to be the 21st century's new \" conan \"",
        "Caf\xc3\xa9 \xc3\x91" "and\xc3\xba na\xc3\xafve \xc4\xb0stanbul \xef\xac\x81ne",
        "hello\xe4\xb8\x96\xe7\x95\x8cworld \xea\xb0\x80 \xef\xa4\x82 [MASK][SEP]x",
        "tab\tnbsp\xc2\xa0zwsp\xe2\x80\x8b" "bel\x07 del\x7f fffd\xef\xbf\xbd $5 \xe2\x80\x94",
        "unaffable xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxx",
        "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##s\nworld\ncafe\n!\n",
        "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nthe\r\n##\r\n#\r\n\xe4\xb8\x96",
        "ok \xc3( bad",
    };
    for (int i = 0; i < (int)(sizeof seeds / sizeof seeds[0]); i++)
        if (write_seed(dir, "wordpiece", i, seeds[i], strlen(seeds[i]))) return 1;
    return 0;
}

/* Minimal GGUF v3 files: metadata of every scalar kind, a string array,
 * and F32/F16/Q8_0/Q4_0/Q4_1 tensors (layout: include/vsq/gguf.h). */
typedef struct {
    uint8_t b[2048];
    size_t n;
} gguf_buf;

static void gput(gguf_buf *w, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) w->b[w->n++] = (uint8_t)(v >> (8 * i));
}
static void gput_str(gguf_buf *w, const char *s) {
    gput(w, strlen(s), 8);
    memcpy(w->b + w->n, s, strlen(s));
    w->n += strlen(s);
}

static int gguf_seeds(const char *dir) {
    static const uint32_t types[] = {0, 1, 8, 2, 3}; /* F32 F16 Q8_0 Q4_0 Q4_1 */
    static const size_t bytes[] = {128, 64, 34, 18, 20};
    for (int k = 0; k < 5; k++) {
        gguf_buf w = {.n = 0};
        memcpy(w.b, "GGUF", 4);
        w.n = 4;
        gput(&w, 3, 4);
        gput(&w, 1, 8);
        gput(&w, 4, 8);
        gput_str(&w, "general.architecture");
        gput(&w, 8, 4);
        gput_str(&w, "llama");
        gput_str(&w, "llama.rope.freq_base");
        gput(&w, 6, 4);
        gput(&w, 0x47c35000, 4); /* 100000.0f */
        gput_str(&w, "llama.block_count");
        gput(&w, 4, 4);
        gput(&w, 2, 4);
        gput_str(&w, "tokenizer.ggml.tokens");
        gput(&w, 9, 4);
        gput(&w, 8, 4);
        gput(&w, 2, 8);
        gput_str(&w, "a");
        gput_str(&w, "bc");
        gput_str(&w, "t");
        gput(&w, 1, 4);
        gput(&w, 32, 8);
        gput(&w, types[k], 4);
        gput(&w, 0, 8);
        while (w.n % 32) w.b[w.n++] = 0;
        for (size_t i = 0; i < bytes[k]; i++) w.b[w.n++] = (uint8_t)(i * 37 % 61);
        if (write_seed(dir, "gguf", k, w.b, w.n)) return 1;
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

/* The test CNN at small input sizes, plus a few broken variants (a
 * dangling input, a cycle) so mutations start near the error paths. */
static void dangle(onnx_gen *g) { tiny_node(g, "add3")->input[1] = gen_str(g, "nowhere"); }
static void cycle(onnx_gen *g) { tiny_node(g, "conv1")->input[0] = gen_str(g, "r1"); }

static int onnx_seeds(const char *dir) {
    static const int sizes[][2] = {{5, 5}, {6, 7}, {9, 9}};
    void (*mutate[])(onnx_gen *) = {NULL, NULL, NULL, dangle, cycle};
    tiny_net *t = malloc(sizeof *t);
    onnx_gen *g = malloc(sizeof *g);
    int rc = !t || !g;
    for (int i = 0; i < 5 && !rc; i++) {
        memset(g, 0, sizeof *g);
        tiny_init(t, sizes[i % 3][0], sizes[i % 3][1], (uint32_t)i + 1);
        tiny_build(g, t);
        if (mutate[i]) mutate[i](g);
        size_t len;
        uint8_t *buf = gen_pack(g, NULL, "x", 3, t->h, t->w, "logits", 5, &len);
        rc = write_seed(dir, "onnx", i, buf, len);
        free(buf);
        gen_free(g);
    }
    free(t);
    free(g);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds OUTDIR\n");
        return 2;
    }
    const char *kinds[] = {"npy",  "spec",        "container", "tfjs",      "llm",  "tokenizer",
                           "gguf", "safetensors", "hfconfig",  "wordpiece", "onnx"};
    for (int i = 0; i < 11; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", argv[1], kinds[i]);
        mkdir(argv[1], 0755);
        mkdir(path, 0755);
    }
    return npy_seeds(argv[1]) || spec_seeds(argv[1]) || container_seeds(argv[1]) ||
           tfjs_seeds(argv[1]) || llm_seeds(argv[1]) || tokenizer_seeds(argv[1]) ||
           gguf_seeds(argv[1]) || safetensors_seeds(argv[1]) || hfconfig_seeds(argv[1]) ||
           wordpiece_seeds(argv[1]) ||
           onnx_seeds(argv[1]);
}
