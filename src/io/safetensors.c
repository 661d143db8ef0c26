/* Hugging Face safetensors reader (format: include/vsq/safetensors.h).
 *
 * The header is parsed with cJSON; every entry is checked against the file
 * before any tensor is handed out, so a reader of the result never needs to
 * check offsets again. */
#include "vsq/safetensors.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"

/* A header larger than this is not a model header but a corrupt length. */
#define ST_MAX_HEADER ((uint64_t)100 << 20)

static const struct {
    const char *name;
    vsq_st_dtype dtype;
    size_t size;
} st_dtypes[] = {
    {"BOOL", VSQ_ST_BOOL, 1}, {"U8", VSQ_ST_U8, 1},     {"I8", VSQ_ST_I8, 1},
    {"I16", VSQ_ST_I16, 2},   {"U16", VSQ_ST_U16, 2},   {"F16", VSQ_ST_F16, 2},
    {"BF16", VSQ_ST_BF16, 2}, {"I32", VSQ_ST_I32, 4},   {"U32", VSQ_ST_U32, 4},
    {"F32", VSQ_ST_F32, 4},   {"F64", VSQ_ST_F64, 8},   {"I64", VSQ_ST_I64, 8},
    {"U64", VSQ_ST_U64, 8},   {"F8_E4M3", VSQ_ST_F8_E4M3, 1}, {"F8_E5M2", VSQ_ST_F8_E5M2, 1},
};
#define ST_N_DTYPES (sizeof st_dtypes / sizeof st_dtypes[0])

const char *vsq_st_dtype_name(vsq_st_dtype d) {
    for (size_t i = 0; i < ST_N_DTYPES; i++)
        if (st_dtypes[i].dtype == d) return st_dtypes[i].name;
    return "?";
}

size_t vsq_st_dtype_size(vsq_st_dtype d) {
    for (size_t i = 0; i < ST_N_DTYPES; i++)
        if (st_dtypes[i].dtype == d) return st_dtypes[i].size;
    return 0;
}

static int dtype_from_name(const char *s, vsq_st_dtype *d) {
    for (size_t i = 0; i < ST_N_DTYPES; i++)
        if (strcmp(st_dtypes[i].name, s) == 0) {
            *d = st_dtypes[i].dtype;
            return 1;
        }
    return 0;
}

/* A JSON number that is a non-negative integer representable exactly. */
static int json_size(const cJSON *v, size_t *out) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!(d >= 0.0) || d > 9007199254740992.0 || d != floor(d)) return 0;
    *out = (size_t)d;
    return 1;
}

static int mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

static vsq_status parse_shape(const cJSON *shape, const char *what, const char *name,
                              vsq_st_tensor *t) {
    if (!cJSON_IsArray(shape))
        return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\": \"shape\" is not an array", what, name);
    int nd = cJSON_GetArraySize(shape);
    if (nd > VSQ_MAX_DIMS)
        return vsq_error(VSQ_EUNSUPPORTED, "%s: tensor \"%s\": %d dims (at most %d supported)",
                         what, name, nd, VSQ_MAX_DIMS);
    t->ndim = nd;
    t->numel = 1;
    int i = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, shape) {
        if (!json_size(d, &t->shape[i]))
            return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\": shape[%d] is not a size", what,
                             name, i);
        if (!mul_size(t->numel, t->shape[i], &t->numel))
            return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\": element count overflows", what,
                             name);
        i++;
    }
    return VSQ_OK;
}

/* One header entry: dtype, shape and offsets, checked for consistency. */
static vsq_status parse_entry(const cJSON *e, const char *what, size_t data_len,
                              vsq_st_tensor *t) {
    const char *name = e->string;
    if (!cJSON_IsObject(e))
        return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\" is not an object", what, name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    if (!cJSON_IsString(dt))
        return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\": \"dtype\" missing", what, name);
    if (!dtype_from_name(dt->valuestring, &t->dtype))
        return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\": unknown dtype \"%s\"", what, name,
                         dt->valuestring);
    vsq_status st = parse_shape(cJSON_GetObjectItemCaseSensitive(e, "shape"), what, name, t);
    if (st) return st;
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    size_t begin, end;
    if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2 ||
        !json_size(cJSON_GetArrayItem(off, 0), &begin) ||
        !json_size(cJSON_GetArrayItem(off, 1), &end))
        return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\": \"data_offsets\" is not [begin, end]",
                         what, name);
    if (begin > end || end > data_len)
        return vsq_error(VSQ_EFORMAT,
                         "%s: tensor \"%s\": data_offsets [%zu, %zu] outside the %zu-byte data",
                         what, name, begin, end, data_len);
    size_t want;
    if (!mul_size(t->numel, vsq_st_dtype_size(t->dtype), &want) || want != end - begin)
        return vsq_error(VSQ_EFORMAT,
                         "%s: tensor \"%s\": %zu bytes for %zu %s elements (expected %zu)", what,
                         name, end - begin, t->numel, dt->valuestring,
                         t->numel * vsq_st_dtype_size(t->dtype));
    t->offset = begin;
    t->nbytes = end - begin;
    t->name = strdup(name);
    if (!t->name) return vsq_error(VSQ_ENOMEM, "%s: out of memory", what);
    return VSQ_OK;
}

static vsq_status parse_metadata(const cJSON *meta, const char *what, vsq_safetensors *st) {
    if (st->meta_keys) return vsq_error(VSQ_EFORMAT, "%s: \"__metadata__\" listed twice", what);
    if (!cJSON_IsObject(meta))
        return vsq_error(VSQ_EFORMAT, "%s: \"__metadata__\" is not an object", what);
    size_t n = (size_t)cJSON_GetArraySize(meta);
    st->meta_keys = calloc(n ? n : 1, sizeof *st->meta_keys);
    st->meta_values = calloc(n ? n : 1, sizeof *st->meta_values);
    if (!st->meta_keys || !st->meta_values) return vsq_error(VSQ_ENOMEM, "%s: out of memory", what);
    const cJSON *kv;
    cJSON_ArrayForEach(kv, meta) {
        if (!cJSON_IsString(kv))
            return vsq_error(VSQ_EFORMAT, "%s: __metadata__ \"%s\" is not a string", what,
                             kv->string);
        size_t i = st->n_meta++;
        st->meta_keys[i] = strdup(kv->string);
        st->meta_values[i] = strdup(kv->valuestring);
        if (!st->meta_keys[i] || !st->meta_values[i])
            return vsq_error(VSQ_ENOMEM, "%s: out of memory", what);
    }
    return VSQ_OK;
}

static int by_offset(const void *a, const void *b) {
    const vsq_st_tensor *x = a, *y = b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes;
}

/* The buffer must be covered exactly: sorted by offset, each tensor starts
 * where the previous one ended and the last ends at the buffer's end. */
static vsq_status check_coverage(vsq_safetensors *st, const char *what, size_t data_len) {
    qsort(st->tensors, st->n_tensors, sizeof *st->tensors, by_offset);
    size_t pos = 0;
    for (size_t i = 0; i < st->n_tensors; i++) {
        const vsq_st_tensor *t = &st->tensors[i];
        if (t->offset < pos)
            return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\" overlaps tensor \"%s\"", what,
                             t->name, st->tensors[i - 1].name);
        if (t->offset > pos)
            return vsq_error(VSQ_EFORMAT, "%s: %zu unindexed bytes before tensor \"%s\"", what,
                             t->offset - pos, t->name);
        pos = t->offset + t->nbytes;
    }
    if (pos != data_len)
        return vsq_error(VSQ_EFORMAT, "%s: %zu bytes after the last tensor are not indexed",
                         what, data_len - pos);
    return VSQ_OK;
}

static vsq_status parse_header(const cJSON *root, const char *what, const uint8_t *data,
                               size_t data_len, vsq_safetensors *st) {
    if (!cJSON_IsObject(root))
        return vsq_error(VSQ_EFORMAT, "%s: header is not a JSON object", what);
    size_t n = (size_t)cJSON_GetArraySize(root);
    st->tensors = calloc(n ? n : 1, sizeof *st->tensors);
    if (!st->tensors) return vsq_error(VSQ_ENOMEM, "%s: out of memory", what);
    const cJSON *e;
    cJSON_ArrayForEach(e, root) {
        vsq_status s;
        if (strcmp(e->string, "__metadata__") == 0) {
            s = parse_metadata(e, what, st);
        } else {
            for (size_t i = 0; i < st->n_tensors; i++)
                if (strcmp(st->tensors[i].name, e->string) == 0)
                    return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\" listed twice", what,
                                     e->string);
            s = parse_entry(e, what, data_len, &st->tensors[st->n_tensors]);
            if (!s) st->n_tensors++;
        }
        if (s) return s;
    }
    vsq_status s = check_coverage(st, what, data_len);
    if (s) return s;
    for (size_t i = 0; i < st->n_tensors; i++) st->tensors[i].data = data + st->tensors[i].offset;
    return VSQ_OK;
}

vsq_status vsq_safetensors_parse(const uint8_t *buf, size_t len, const char *what,
                                 vsq_safetensors *st) {
    memset(st, 0, sizeof *st);
    if (len < 8) return vsq_error(VSQ_EFORMAT, "%s: %zu bytes, too short for a safetensors file", what, len);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | buf[i];
    if (hlen < 2 || hlen > ST_MAX_HEADER || hlen > len - 8)
        return vsq_error(VSQ_EFORMAT, "%s: header length %llu does not fit the %zu-byte file",
                         what, (unsigned long long)hlen, len);
    if (buf[8] != '{')
        return vsq_error(VSQ_EFORMAT, "%s: header does not start with '{'", what);
    st->path = strdup(what);
    if (!st->path) return vsq_error(VSQ_ENOMEM, "%s: out of memory", what);
    cJSON *root = cJSON_ParseWithLength((const char *)buf + 8, (size_t)hlen);
    vsq_status s;
    if (!root)
        s = vsq_error(VSQ_EFORMAT, "%s: header is not valid JSON", what);
    else
        s = parse_header(root, what, buf + 8 + hlen, len - 8 - (size_t)hlen, st);
    cJSON_Delete(root);
    if (s) vsq_safetensors_close(st);
    return s;
}

vsq_status vsq_safetensors_open(const char *path, vsq_safetensors *st) {
    memset(st, 0, sizeof *st);
    void *map;
    size_t len;
    vsq_status s = vsq_map_file(path, &map, &len);
    if (s) return s;
    s = vsq_safetensors_parse(map, len, path, st);
    if (s) {
        munmap(map, len);
        return s;
    }
    st->map = map;
    st->map_size = len;
    return VSQ_OK;
}

void vsq_safetensors_close(vsq_safetensors *st) {
    for (size_t i = 0; i < st->n_tensors; i++) free(st->tensors[i].name);
    for (size_t i = 0; i < st->n_meta; i++) {
        free(st->meta_keys[i]);
        free(st->meta_values[i]);
    }
    free(st->tensors);
    free(st->meta_keys);
    free(st->meta_values);
    free(st->path);
    if (st->map) munmap(st->map, st->map_size);
    memset(st, 0, sizeof *st);
}

const vsq_st_tensor *vsq_safetensors_find(const vsq_safetensors *st, const char *name) {
    for (size_t i = 0; i < st->n_tensors; i++)
        if (strcmp(st->tensors[i].name, name) == 0) return &st->tensors[i];
    return NULL;
}

/* bfloat16 is the top half of a float32: widening is exact. */
static float bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void convert_f32(const vsq_st_tensor *t, float *out) {
    const uint8_t *p = t->data;
    for (size_t i = 0; i < t->numel; i++) {
        if (t->dtype == VSQ_ST_F32) {
            memcpy(&out[i], p + 4 * i, 4);
        } else {
            uint16_t h = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
            out[i] = t->dtype == VSQ_ST_F16 ? vsq_f16_to_f32(h) : bf16_to_f32(h);
        }
    }
}

static void format_shape(char *buf, size_t cap, int ndim, const size_t *shape) {
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, i ? ", %zu" : "%zu", shape[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
}

static vsq_status check_shape(const vsq_safetensors *st, const vsq_st_tensor *t, int ndim,
                              const size_t *shape) {
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (same) return VSQ_OK;
    char have[160], want[160];
    format_shape(have, sizeof have, t->ndim, t->shape);
    format_shape(want, sizeof want, ndim, shape);
    return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\" has shape %s, expected %s", st->path,
                     t->name, have, want);
}

vsq_status vsq_safetensors_get_f32(const vsq_safetensors *st, const char *name, int ndim,
                                   const size_t *shape, float **out) {
    *out = NULL;
    const vsq_st_tensor *t = vsq_safetensors_find(st, name);
    if (!t) return vsq_error(VSQ_EFORMAT, "%s: tensor \"%s\" missing", st->path, name);
    if (shape) {
        vsq_status s = check_shape(st, t, ndim, shape);
        if (s) return s;
    }
    if (t->dtype != VSQ_ST_F32 && t->dtype != VSQ_ST_F16 && t->dtype != VSQ_ST_BF16)
        return vsq_error(VSQ_EUNSUPPORTED, "%s: tensor \"%s\" is %s (F32, F16 or BF16 needed)",
                         st->path, name, vsq_st_dtype_name(t->dtype));
    float *x = malloc(t->numel ? t->numel * sizeof *x : 1);
    if (!x) return vsq_error(VSQ_ENOMEM, "%s: tensor \"%s\": out of memory", st->path, name);
    convert_f32(t, x);
    for (size_t i = 0; i < t->numel; i++)
        if (!isfinite(x[i])) {
            free(x);
            return vsq_error(VSQ_ENONFINITE, "%s: tensor \"%s\": non-finite value at element %zu",
                             st->path, name, i);
        }
    *out = x;
    return VSQ_OK;
}
