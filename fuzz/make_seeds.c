/* Writes a small seed corpus for the fuzz targets into OUTDIR/{npy,spec,container,onnx}. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vsq/vsq.h"
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
    const char *kinds[] = {"npy", "spec", "container", "onnx"};
    for (int i = 0; i < 4; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", argv[1], kinds[i]);
        mkdir(argv[1], 0755);
        mkdir(path, 0755);
    }
    return npy_seeds(argv[1]) || spec_seeds(argv[1]) || container_seeds(argv[1]) || onnx_seeds(argv[1]);
}
