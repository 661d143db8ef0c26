/* vsq inspect: print the metadata and tensor table of a model file
 * (GGUF or safetensors), after the same validation the loaders do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vsq/gguf.h"

static const char usage[] =
    "usage: vsq inspect [--all] FILE\n"
    "\n"
    "Print what a model file holds: for GGUF (llama.cpp) the version, every\n"
    "metadata key with its type and value (arrays: length and the first\n"
    "elements; --all prints them whole) and the tensor table (name, ggml type,\n"
    "shape ne[0..], data offset, bytes); for Hugging Face safetensors the\n"
    "__metadata__ map and the tensor table (name, dtype, shape, offset, bytes).\n"
    "The file is validated first (docs/gguf.md, docs/safetensors.md): a\n"
    "truncated or inconsistent file is a one-line error and exit 2.\n"
    "Exit 0 ok, 2 bad input, 1 other failure.\n";

static void print_scalar(vsq_gguf_vtype t, const uint8_t *p) {
    uint64_t u = 0;
    int n = t == VSQ_GGUF_U8 || t == VSQ_GGUF_I8 || t == VSQ_GGUF_BOOL ? 1
            : t == VSQ_GGUF_U16 || t == VSQ_GGUF_I16                   ? 2
            : t == VSQ_GGUF_U32 || t == VSQ_GGUF_I32 || t == VSQ_GGUF_F32 ? 4
                                                                         : 8;
    for (int i = n - 1; i >= 0; i--) u = u << 8 | p[i];
    float f;
    double d;
    uint32_t w = (uint32_t)u;
    switch (t) {
    case VSQ_GGUF_I8: printf("%d", (int8_t)u); break;
    case VSQ_GGUF_I16: printf("%d", (int16_t)u); break;
    case VSQ_GGUF_I32: printf("%d", (int32_t)u); break;
    case VSQ_GGUF_I64: printf("%lld", (long long)(int64_t)u); break;
    case VSQ_GGUF_BOOL: printf("%s", u ? "true" : "false"); break;
    case VSQ_GGUF_F32: memcpy(&f, &w, 4); printf("%.9g", f); break;
    case VSQ_GGUF_F64: memcpy(&d, &u, 8); printf("%.17g", d); break;
    default: printf("%llu", (unsigned long long)u); break;
    }
}

/* A string, quoted, with control bytes escaped, cut at `max` bytes. */
static void print_str(const char *s, uint64_t n, uint64_t max) {
    putchar('"');
    for (uint64_t i = 0; i < n && i < max; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') printf("\\%c", ch);
        else if (ch < 32 || ch == 127) printf("\\x%02x", ch);
        else putchar(ch);
    }
    printf(n > max ? "\"..." : "\"");
}

static void print_decoded(const vsq_gguf_kv *kv) {
    switch (kv->type) {
    case VSQ_GGUF_F32: case VSQ_GGUF_F64: printf("%.9g\n", kv->v.f); break;
    case VSQ_GGUF_I8: case VSQ_GGUF_I16: case VSQ_GGUF_I32: case VSQ_GGUF_I64:
        printf("%lld\n", (long long)kv->v.i);
        break;
    case VSQ_GGUF_BOOL: printf("%s\n", kv->v.u ? "true" : "false"); break;
    default: printf("%llu\n", (unsigned long long)kv->v.u); break;
    }
}

static void print_array(const vsq_gguf *g, const vsq_gguf_kv *kv, int all) {
    uint64_t show = all ? kv->arr_n : (kv->arr_n < 8 ? kv->arr_n : 8);
    printf("[%s x %llu] ", vsq_gguf_vtype_name(kv->arr_type), (unsigned long long)kv->arr_n);
    if (kv->arr_type == VSQ_GGUF_STRING) {
        const uint8_t *p = kv->arr_data;
        for (uint64_t i = 0; i < show; i++) {
            uint64_t len = 0;
            for (int b = 7; b >= 0; b--) len = len << 8 | p[b];
            printf(i ? ", " : "");
            print_str((const char *)p + 8, len, all ? len : 40);
            p += 8 + len;
        }
    } else {
        size_t es = kv->arr_type == VSQ_GGUF_U8 || kv->arr_type == VSQ_GGUF_I8 ||
                            kv->arr_type == VSQ_GGUF_BOOL ? 1
                    : kv->arr_type == VSQ_GGUF_U16 || kv->arr_type == VSQ_GGUF_I16 ? 2
                    : kv->arr_type == VSQ_GGUF_U64 || kv->arr_type == VSQ_GGUF_I64 ||
                            kv->arr_type == VSQ_GGUF_F64 ? 8 : 4;
        for (uint64_t i = 0; i < show; i++) {
            printf(i ? ", " : "");
            print_scalar(kv->arr_type, kv->arr_data + i * es);
        }
    }
    printf(show < kv->arr_n ? ", ...\n" : "\n");
    (void)g;
}

static int inspect_gguf(const char *path, int all) {
    vsq_gguf g;
    vsq_status st = vsq_gguf_open(path, &g);
    if (st) return cli_status(st);
    printf("%s: GGUF v%u, %zu metadata keys, %zu tensors, alignment %zu, data at byte %zu\n",
           path, g.version, g.n_kv, g.n_tensors, g.alignment, g.data_offset);
    for (size_t i = 0; i < g.n_kv; i++) {
        const vsq_gguf_kv *kv = &g.kv[i];
        printf("  %-40s %-6s ", kv->key, vsq_gguf_vtype_name(kv->type));
        if (kv->type == VSQ_GGUF_STRING) {
            print_str(kv->str, kv->str_len, all ? kv->str_len : 80);
            putchar('\n');
        } else if (kv->type == VSQ_GGUF_ARRAY) {
            print_array(&g, kv, all);
        } else {
            print_decoded(kv);
        }
    }
    printf("\n  %-40s %-7s %-24s %12s %12s\n", "tensor", "type", "ne", "offset", "bytes");
    for (size_t i = 0; i < g.n_tensors; i++) {
        const vsq_gguf_tensor *t = &g.tensors[i];
        char shape[96];
        int n = 0;
        for (int d = 0; d < t->ndim; d++)
            n += snprintf(shape + n, sizeof shape - (size_t)n, d ? " x %llu" : "%llu",
                          (unsigned long long)t->ne[d]);
        printf("  %-40s %-7s %-24s %12llu %12zu\n", t->name, vsq_ggml_type_name(t->type), shape,
               (unsigned long long)t->offset, t->nbytes);
    }
    vsq_gguf_close(&g);
    return CLI_OK;
}

static int inspect_safetensors(const char *path) {
    vsq_safetensors st;
    vsq_status s = vsq_safetensors_open(path, &st);
    if (s) return cli_status(s);
    printf("%s: safetensors, %zu tensors, %zu metadata keys\n", path, st.n_tensors, st.n_meta);
    for (size_t i = 0; i < st.n_meta; i++)
        printf("  %-40s \"%s\"\n", st.meta_keys[i], st.meta_values[i]);
    printf("\n  %-52s %-7s %-20s %12s %12s\n", "tensor", "dtype", "shape", "offset", "bytes");
    for (size_t i = 0; i < st.n_tensors; i++) {
        const vsq_st_tensor *t = &st.tensors[i];
        char shape[96] = "[";
        int n = 1;
        for (int d = 0; d < t->ndim; d++)
            n += snprintf(shape + n, sizeof shape - (size_t)n, d ? ", %zu" : "%zu", t->shape[d]);
        snprintf(shape + n, sizeof shape - (size_t)n, "]");
        printf("  %-52s %-7s %-20s %12zu %12zu\n", t->name, vsq_st_dtype_name(t->dtype), shape,
               t->offset, t->nbytes);
    }
    vsq_safetensors_close(&st);
    return CLI_OK;
}

static int run_inspect(int argc, char **argv) {
    const char *path = NULL;
    int all = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--all") == 0) all = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_fail(CLI_BADINPUT, "unknown option '%s' (see vsq inspect --help)", argv[i]);
        else if (path) return cli_fail(CLI_BADINPUT, "unexpected argument '%s'", argv[i]);
        else path = argv[i];
    }
    if (!path) return cli_fail(CLI_BADINPUT, "expected FILE (see vsq inspect --help)");
    FILE *f = fopen(path, "rb");
    if (!f) return cli_fail(CLI_BADINPUT, "%s: cannot open", path);
    unsigned char head[9] = {0};
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n >= 4 && memcmp(head, "GGUF", 4) == 0) return inspect_gguf(path, all);
    if (n == 9 && head[8] == '{') return inspect_safetensors(path);
    return cli_fail(CLI_BADINPUT, "%s: neither a GGUF nor a safetensors file", path);
}

const cli_command cmd_inspect = {"inspect", run_inspect,
                                 "print the metadata and tensor table of a GGUF or safetensors file",
                                 usage};
