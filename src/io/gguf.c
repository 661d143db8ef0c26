/* GGUF reader (format: include/vsq/gguf.h). Every read goes through a
 * bounded cursor, so a count or length taken from the file can never move
 * it past the end; counts are also capped by the bytes left, so a corrupt
 * count cannot make the reader allocate more than the file could hold. */
#include "vsq/gguf.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"

typedef struct {
    const uint8_t *buf;
    size_t len, pos;
    const char *what;
} cursor;

static vsq_status truncated(const cursor *c, const char *item) {
    return vsq_error(VSQ_EFORMAT, "%s: truncated at byte %zu (reading %s)", c->what, c->pos,
                     item);
}

static vsq_status take(cursor *c, size_t n, const char *item, const uint8_t **p) {
    *p = NULL;
    if (n > c->len - c->pos) return truncated(c, item);
    *p = c->buf + c->pos;
    c->pos += n;
    return VSQ_OK;
}

static uint64_t le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static vsq_status read_u32(cursor *c, const char *item, uint32_t *out) {
    const uint8_t *p;
    vsq_status s = take(c, 4, item, &p);
    *out = s ? 0 : (uint32_t)le(p, 4);
    return s;
}

static vsq_status read_u64(cursor *c, const char *item, uint64_t *out) {
    const uint8_t *p;
    vsq_status s = take(c, 8, item, &p);
    *out = s ? 0 : le(p, 8);
    return s;
}

static vsq_status read_str(cursor *c, const char *item, const char **s, uint64_t *n) {
    *s = NULL;
    vsq_status st = read_u64(c, item, n);
    if (st) return st;
    if (*n > c->len - c->pos) return truncated(c, item);
    const uint8_t *p;
    take(c, (size_t)*n, item, &p);
    *s = (const char *)p;
    return VSQ_OK;
}

static char *dup_str(const char *s, uint64_t n) {
    char *d = malloc((size_t)n + 1);
    if (d) {
        memcpy(d, s, (size_t)n);
        d[n] = 0;
    }
    return d;
}

/* Bytes of one scalar of type t; 0 for STRING/ARRAY/unknown. */
static size_t scalar_size(uint32_t t) {
    switch (t) {
    case VSQ_GGUF_U8: case VSQ_GGUF_I8: case VSQ_GGUF_BOOL: return 1;
    case VSQ_GGUF_U16: case VSQ_GGUF_I16: return 2;
    case VSQ_GGUF_U32: case VSQ_GGUF_I32: case VSQ_GGUF_F32: return 4;
    case VSQ_GGUF_U64: case VSQ_GGUF_I64: case VSQ_GGUF_F64: return 8;
    default: return 0;
    }
}

static void decode_scalar(uint32_t t, const uint8_t *p, vsq_gguf_kv *kv) {
    size_t n = scalar_size(t);
    uint64_t u = le(p, (int)n);
    kv->v.u = u;
    if (t == VSQ_GGUF_I8) kv->v.i = (int8_t)u;
    if (t == VSQ_GGUF_I16) kv->v.i = (int16_t)u;
    if (t == VSQ_GGUF_I32) kv->v.i = (int32_t)u;
    if (t == VSQ_GGUF_I64) kv->v.i = (int64_t)u;
    if (t == VSQ_GGUF_F32) {
        float f;
        uint32_t w = (uint32_t)u;
        memcpy(&f, &w, 4);
        kv->v.f = f;
    }
    if (t == VSQ_GGUF_F64) memcpy(&kv->v.f, &u, 8);
}

static vsq_status read_array(cursor *c, vsq_gguf_kv *kv) {
    uint32_t et;
    vsq_status s = read_u32(c, "array type", &et);
    if (!s) s = read_u64(c, "array length", &kv->arr_n);
    if (s) return s;
    kv->arr_type = (vsq_gguf_vtype)et;
    kv->arr_data = c->buf + c->pos;
    if (et == VSQ_GGUF_STRING) {
        for (uint64_t i = 0; i < kv->arr_n; i++) {
            const char *str;
            uint64_t n;
            if ((s = read_str(c, "array string", &str, &n))) return s;
        }
        return VSQ_OK;
    }
    size_t es = scalar_size(et);
    if (es == 0)
        return vsq_error(VSQ_EFORMAT, "%s: key \"%s\": array of unsupported type %u", c->what,
                         kv->key, et);
    if (kv->arr_n > (c->len - c->pos) / es) return truncated(c, "array data");
    c->pos += (size_t)kv->arr_n * es;
    return VSQ_OK;
}

static vsq_status read_kv(cursor *c, vsq_gguf_kv *kv) {
    const char *k;
    uint64_t kn;
    uint32_t t;
    vsq_status s = read_str(c, "key", &k, &kn);
    if (s) return s;
    if (!(kv->key = dup_str(k, kn))) return vsq_error(VSQ_ENOMEM, "%s: out of memory", c->what);
    if ((s = read_u32(c, "value type", &t))) return s;
    kv->type = (vsq_gguf_vtype)t;
    if (t == VSQ_GGUF_STRING) return read_str(c, "string value", &kv->str, &kv->str_len);
    if (t == VSQ_GGUF_ARRAY) return read_array(c, kv);
    size_t n = scalar_size(t);
    if (n == 0)
        return vsq_error(VSQ_EFORMAT, "%s: key \"%s\": unknown value type %u", c->what, kv->key,
                         t);
    const uint8_t *p;
    if ((s = take(c, n, "value", &p))) return s;
    decode_scalar(t, p, kv);
    return VSQ_OK;
}

static const struct {
    vsq_ggml_type t;
    const char *name;
    size_t block, bytes;
} ggml_types[] = {
    {VSQ_GGML_F32, "F32", 1, 4},        {VSQ_GGML_F16, "F16", 1, 2},
    {VSQ_GGML_Q4_0, "Q4_0", 32, 18},    {VSQ_GGML_Q4_1, "Q4_1", 32, 20},
    {VSQ_GGML_Q5_0, "Q5_0", 32, 22},    {VSQ_GGML_Q5_1, "Q5_1", 32, 24},
    {VSQ_GGML_Q8_0, "Q8_0", 32, 34},    {VSQ_GGML_Q8_1, "Q8_1", 32, 36},
    {VSQ_GGML_Q2_K, "Q2_K", 256, 84},   {VSQ_GGML_Q3_K, "Q3_K", 256, 110},
    {VSQ_GGML_Q4_K, "Q4_K", 256, 144},  {VSQ_GGML_Q5_K, "Q5_K", 256, 176},
    {VSQ_GGML_Q6_K, "Q6_K", 256, 210},  {VSQ_GGML_Q8_K, "Q8_K", 256, 292},
    {VSQ_GGML_IQ4_NL, "IQ4_NL", 32, 18}, {VSQ_GGML_IQ4_XS, "IQ4_XS", 256, 136},
    {VSQ_GGML_I8, "I8", 1, 1},          {VSQ_GGML_I16, "I16", 1, 2},
    {VSQ_GGML_I32, "I32", 1, 4},        {VSQ_GGML_I64, "I64", 1, 8},
    {VSQ_GGML_F64, "F64", 1, 8},        {VSQ_GGML_BF16, "BF16", 1, 2},
};
#define N_GGML_TYPES (sizeof ggml_types / sizeof ggml_types[0])

static int type_index(uint32_t t) {
    for (size_t i = 0; i < N_GGML_TYPES; i++)
        if ((uint32_t)ggml_types[i].t == t) return (int)i;
    return -1;
}

const char *vsq_ggml_type_name(vsq_ggml_type t) {
    int i = type_index(t);
    return i < 0 ? NULL : ggml_types[i].name;
}
size_t vsq_ggml_block_size(vsq_ggml_type t) {
    int i = type_index(t);
    return i < 0 ? 0 : ggml_types[i].block;
}
size_t vsq_ggml_type_size(vsq_ggml_type t) {
    int i = type_index(t);
    return i < 0 ? 0 : ggml_types[i].bytes;
}

const char *vsq_gguf_vtype_name(vsq_gguf_vtype t) {
    static const char *names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32",
                                  "bool", "string", "array", "u64", "i64", "f64"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

/* Dims, type and size of one tensor info (offset checked later). */
static vsq_status read_tensor_info(cursor *c, vsq_gguf_tensor *t) {
    const char *nm;
    uint64_t nn;
    uint32_t nd, ty;
    vsq_status s = read_str(c, "tensor name", &nm, &nn);
    if (s) return s;
    if (!(t->name = dup_str(nm, nn))) return vsq_error(VSQ_ENOMEM, "%s: out of memory", c->what);
    if ((s = read_u32(c, "tensor dims", &nd))) return s;
    if (nd < 1 || nd > 4)
        return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\": %u dims (1..4 allowed)", c->what,
                         t->name, nd);
    t->ndim = (int)nd;
    t->numel = 1;
    for (int d = 0; d < 4; d++) t->ne[d] = 1;
    for (uint32_t d = 0; d < nd; d++) {
        if ((s = read_u64(c, "tensor shape", &t->ne[d]))) return s;
        if (t->ne[d] == 0 || t->ne[d] > (uint64_t)INT64_MAX / t->numel)
            return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\": bad dimension ne[%u] = %llu",
                             c->what, t->name, d, (unsigned long long)t->ne[d]);
        t->numel *= t->ne[d];
    }
    if ((s = read_u32(c, "tensor type", &ty)) || (s = read_u64(c, "tensor offset", &t->offset)))
        return s;
    int ti = type_index(ty);
    if (ti < 0)
        return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\": unknown ggml type %u", c->what,
                         t->name, ty);
    t->type = (vsq_ggml_type)ty;
    size_t blk = ggml_types[ti].block;
    if (t->ne[0] % blk)
        return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\": row of %llu not a multiple of %s's block %zu",
                         c->what, t->name, (unsigned long long)t->ne[0], ggml_types[ti].name, blk);
    uint64_t blocks = t->numel / blk;
    if (blocks > SIZE_MAX / ggml_types[ti].bytes)
        return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\": size overflows", c->what, t->name);
    t->nbytes = (size_t)blocks * ggml_types[ti].bytes;
    return VSQ_OK;
}

static int by_offset(const void *a, const void *b) {
    const vsq_gguf_tensor *x = *(vsq_gguf_tensor *const *)a, *y = *(vsq_gguf_tensor *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Each tensor aligned, inside the data section, not overlapping another. */
static vsq_status place_tensors(vsq_gguf *g, const uint8_t *buf, size_t len) {
    size_t data_len = len - g->data_offset;
    for (size_t i = 0; i < g->n_tensors; i++) {
        vsq_gguf_tensor *t = &g->tensors[i];
        if (t->offset % g->alignment)
            return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\": offset %llu not aligned to %zu",
                             g->path, t->name, (unsigned long long)t->offset, g->alignment);
        if (t->offset > data_len || t->nbytes > data_len - t->offset)
            return vsq_error(VSQ_EFORMAT,
                             "%s: tensor \"%s\" (%zu bytes at data offset %llu) runs past the end of the file",
                             g->path, t->name, t->nbytes, (unsigned long long)t->offset);
        t->data = buf + g->data_offset + t->offset;
    }
    vsq_gguf_tensor **order = malloc((g->n_tensors ? g->n_tensors : 1) * sizeof *order);
    if (!order) return vsq_error(VSQ_ENOMEM, "%s: out of memory", g->path);
    for (size_t i = 0; i < g->n_tensors; i++) order[i] = &g->tensors[i];
    qsort(order, g->n_tensors, sizeof *order, by_offset);
    vsq_status s = VSQ_OK;
    for (size_t i = 1; i < g->n_tensors && !s; i++)
        if (order[i - 1]->offset + order[i - 1]->nbytes > order[i]->offset)
            s = vsq_error(VSQ_EFORMAT, "%s: tensors \"%s\" and \"%s\" overlap", g->path,
                          order[i - 1]->name, order[i]->name);
    free(order);
    return s;
}

static vsq_status read_header(cursor *c, vsq_gguf *g, uint64_t *n_t, uint64_t *n_kv) {
    const uint8_t *p;
    vsq_status s = take(c, 4, "magic", &p);
    if (s) return s;
    if (memcmp(p, "GGUF", 4) != 0) return vsq_error(VSQ_EFORMAT, "%s: not a GGUF file (bad magic)", c->what);
    if ((s = read_u32(c, "version", &g->version))) return s;
    if (g->version != 2 && g->version != 3)
        return vsq_error(VSQ_EUNSUPPORTED, "%s: GGUF version %u (2 and 3 supported)", c->what,
                         g->version);
    if ((s = read_u64(c, "tensor count", n_t)) || (s = read_u64(c, "key/value count", n_kv)))
        return s;
    /* a key/value needs >= 12 bytes and a tensor info >= 24 */
    size_t left = c->len - c->pos;
    if (*n_kv > left / 12 || *n_t > left / 24)
        return vsq_error(VSQ_EFORMAT, "%s: %llu tensors / %llu keys cannot fit in %zu bytes",
                         c->what, (unsigned long long)*n_t, (unsigned long long)*n_kv, left);
    return VSQ_OK;
}

static vsq_status read_alignment(vsq_gguf *g) {
    g->alignment = 32;
    const vsq_gguf_kv *a = vsq_gguf_find_kv(g, "general.alignment");
    if (!a) return VSQ_OK;
    if (a->type != VSQ_GGUF_U32 || a->v.u == 0 || (a->v.u & (a->v.u - 1)) || a->v.u > 65536)
        return vsq_error(VSQ_EFORMAT, "%s: general.alignment must be a power-of-two u32", g->path);
    g->alignment = (size_t)a->v.u;
    return VSQ_OK;
}

static vsq_status parse_body(cursor *c, vsq_gguf *g) {
    uint64_t n_t = 0, n_kv = 0;
    vsq_status s = read_header(c, g, &n_t, &n_kv);
    if (s) return s;
    g->kv = calloc(n_kv ? n_kv : 1, sizeof *g->kv);
    g->tensors = calloc(n_t ? n_t : 1, sizeof *g->tensors);
    if (!g->kv || !g->tensors) return vsq_error(VSQ_ENOMEM, "%s: out of memory", c->what);
    for (; g->n_kv < n_kv; g->n_kv++)
        if ((s = read_kv(c, &g->kv[g->n_kv]))) {
            g->n_kv++; /* free its key too */
            return s;
        }
    if ((s = read_alignment(g))) return s;
    for (; g->n_tensors < n_t; g->n_tensors++)
        if ((s = read_tensor_info(c, &g->tensors[g->n_tensors]))) {
            g->n_tensors++;
            return s;
        }
    size_t pad = (g->alignment - c->pos % g->alignment) % g->alignment;
    if (n_t && pad > c->len - c->pos) return truncated(c, "padding before tensor data");
    g->data_offset = n_t ? c->pos + pad : c->len;
    return VSQ_OK;
}

vsq_status vsq_gguf_parse(const uint8_t *buf, size_t len, const char *what, vsq_gguf *g) {
    memset(g, 0, sizeof *g);
    if (!(g->path = strdup(what))) return vsq_error(VSQ_ENOMEM, "%s: out of memory", what);
    cursor c = {buf, len, 0, what};
    vsq_status s = parse_body(&c, g);
    if (!s) s = place_tensors(g, buf, len);
    if (s) vsq_gguf_close(g);
    return s;
}

vsq_status vsq_gguf_open(const char *path, vsq_gguf *g) {
    memset(g, 0, sizeof *g);
    void *map;
    size_t len;
    vsq_status s = vsq_map_file(path, &map, &len);
    if (s) return s;
    s = vsq_gguf_parse(map, len, path, g);
    if (s) {
        munmap(map, len);
        return s;
    }
    g->map = map;
    g->map_size = len;
    return VSQ_OK;
}

void vsq_gguf_close(vsq_gguf *g) {
    for (size_t i = 0; i < g->n_kv; i++) free(g->kv[i].key);
    for (size_t i = 0; i < g->n_tensors; i++) free(g->tensors[i].name);
    free(g->kv);
    free(g->tensors);
    free(g->path);
    if (g->map) munmap(g->map, g->map_size);
    memset(g, 0, sizeof *g);
}

const vsq_gguf_kv *vsq_gguf_find_kv(const vsq_gguf *g, const char *key) {
    for (size_t i = 0; i < g->n_kv; i++)
        if (g->kv[i].key && strcmp(g->kv[i].key, key) == 0) return &g->kv[i];
    return NULL;
}

const vsq_gguf_tensor *vsq_gguf_find_tensor(const vsq_gguf *g, const char *name) {
    for (size_t i = 0; i < g->n_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0) return &g->tensors[i];
    return NULL;
}

static vsq_status need_kv(const vsq_gguf *g, const char *key, const vsq_gguf_kv **kv) {
    *kv = vsq_gguf_find_kv(g, key);
    return *kv ? VSQ_OK : vsq_error(VSQ_EFORMAT, "%s: key \"%s\" missing", g->path, key);
}

vsq_status vsq_gguf_get_int(const vsq_gguf *g, const char *key, int64_t *out) {
    const vsq_gguf_kv *kv;
    vsq_status s = need_kv(g, key, &kv);
    if (s) return s;
    switch (kv->type) {
    case VSQ_GGUF_U8: case VSQ_GGUF_U16: case VSQ_GGUF_U32: case VSQ_GGUF_BOOL:
    case VSQ_GGUF_I8: case VSQ_GGUF_I16: case VSQ_GGUF_I32: case VSQ_GGUF_I64:
        *out = kv->v.i;
        return VSQ_OK;
    case VSQ_GGUF_U64:
        if (kv->v.u <= (uint64_t)INT64_MAX) {
            *out = (int64_t)kv->v.u;
            return VSQ_OK;
        }
        break;
    default: break;
    }
    return vsq_error(VSQ_EFORMAT, "%s: key \"%s\" is %s, not an integer", g->path, key,
                     vsq_gguf_vtype_name(kv->type));
}

vsq_status vsq_gguf_get_float(const vsq_gguf *g, const char *key, double *out) {
    const vsq_gguf_kv *kv;
    vsq_status s = need_kv(g, key, &kv);
    if (s) return s;
    if (kv->type != VSQ_GGUF_F32 && kv->type != VSQ_GGUF_F64)
        return vsq_error(VSQ_EFORMAT, "%s: key \"%s\" is %s, not a float", g->path, key,
                         vsq_gguf_vtype_name(kv->type));
    *out = kv->v.f;
    return VSQ_OK;
}

vsq_status vsq_gguf_get_string(const vsq_gguf *g, const char *key, char **out) {
    const vsq_gguf_kv *kv;
    vsq_status s = need_kv(g, key, &kv);
    if (s) return s;
    if (kv->type != VSQ_GGUF_STRING)
        return vsq_error(VSQ_EFORMAT, "%s: key \"%s\" is %s, not a string", g->path, key,
                         vsq_gguf_vtype_name(kv->type));
    if (!(*out = dup_str(kv->str, kv->str_len)))
        return vsq_error(VSQ_ENOMEM, "%s: out of memory", g->path);
    return VSQ_OK;
}

vsq_status vsq_gguf_array_strings(const vsq_gguf *g, const vsq_gguf_kv *kv, const char **ptrs,
                                  uint64_t *lens) {
    if (kv->type != VSQ_GGUF_ARRAY || kv->arr_type != VSQ_GGUF_STRING)
        return vsq_error(VSQ_EFORMAT, "%s: key \"%s\" is not an array of strings", g->path,
                         kv->key);
    /* the parser already walked these strings inside the file */
    const uint8_t *p = kv->arr_data;
    for (uint64_t i = 0; i < kv->arr_n; i++) {
        lens[i] = le(p, 8);
        ptrs[i] = (const char *)p + 8;
        p += 8 + lens[i];
    }
    return VSQ_OK;
}

static float f16(const uint8_t *p) { return vsq_f16_to_f32((uint16_t)(p[0] | p[1] << 8)); }

void vsq_dequantize_row_q8_0(const void *src, float *dst, size_t n) {
    const uint8_t *b = src;
    for (size_t i = 0; i < n / 32; i++, b += 34) {
        float d = f16(b);
        for (int j = 0; j < 32; j++) dst[32 * i + j] = d * (float)(int8_t)b[2 + j];
    }
}

void vsq_dequantize_row_q4_0(const void *src, float *dst, size_t n) {
    const uint8_t *b = src;
    for (size_t i = 0; i < n / 32; i++, b += 18) {
        float d = f16(b);
        for (int j = 0; j < 16; j++) {
            dst[32 * i + j] = d * (float)((b[2 + j] & 15) - 8);
            dst[32 * i + j + 16] = d * (float)((b[2 + j] >> 4) - 8);
        }
    }
}

void vsq_dequantize_row_q4_1(const void *src, float *dst, size_t n) {
    const uint8_t *b = src;
    for (size_t i = 0; i < n / 32; i++, b += 20) {
        float d = f16(b), m = f16(b + 2);
        for (int j = 0; j < 16; j++) {
            dst[32 * i + j] = d * (float)(b[4 + j] & 15) + m;
            dst[32 * i + j + 16] = d * (float)(b[4 + j] >> 4) + m;
        }
    }
}

vsq_status vsq_gguf_tensor_to_f32(const vsq_gguf *g, const vsq_gguf_tensor *t, float *out) {
    const uint8_t *p = t->data;
    size_t n = (size_t)t->numel;
    switch (t->type) {
    case VSQ_GGML_F32: memcpy(out, p, n * 4); break;
    case VSQ_GGML_F16:
        for (size_t i = 0; i < n; i++) out[i] = f16(p + 2 * i);
        break;
    case VSQ_GGML_BF16:
        for (size_t i = 0; i < n; i++) {
            uint32_t u = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8) << 16;
            memcpy(&out[i], &u, 4);
        }
        break;
    case VSQ_GGML_Q8_0: vsq_dequantize_row_q8_0(p, out, n); break;
    case VSQ_GGML_Q4_0: vsq_dequantize_row_q4_0(p, out, n); break;
    case VSQ_GGML_Q4_1: vsq_dequantize_row_q4_1(p, out, n); break;
    default:
        return vsq_error(VSQ_EUNSUPPORTED, "%s: tensor \"%s\": no dequantizer for %s", g->path,
                         t->name, vsq_ggml_type_name(t->type));
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(out[i]))
            return vsq_error(VSQ_ENONFINITE, "%s: tensor \"%s\": non-finite value at element %zu",
                             g->path, t->name, i);
    return VSQ_OK;
}
