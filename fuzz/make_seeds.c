/* Writes a small seed corpus for the fuzz targets into OUTDIR/{npy,spec,container,gguf}. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vsq/vsq.h"

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

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds OUTDIR\n");
        return 2;
    }
    const char *kinds[] = {"npy", "spec", "container", "gguf"};
    for (int i = 0; i < 4; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", argv[1], kinds[i]);
        mkdir(argv[1], 0755);
        mkdir(path, 0755);
    }
    return npy_seeds(argv[1]) || spec_seeds(argv[1]) || container_seeds(argv[1]) ||
           gguf_seeds(argv[1]);
}
