/* NumPy .npy files (format 1.0, 2.0, 3.0): parse, load, save.
 *
 * Layout: "\x93NUMPY", major, minor, header length (u16 LE for 1.0, u32 LE
 * for 2.0/3.0), then an ASCII (3.0: UTF-8) Python dict literal
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
 * padded with spaces and '\n', then the raw C-order data. See docs/npy.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "vsq/tensor.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAX_DIM ((size_t)1 << 48) /* far beyond any real tensor; keeps products sane */

/* ---- header dictionary parser ---------------------------------------- */

typedef struct {
    const char *p, *end;
    const char *what; /* file name for messages */
} cursor;

static vsq_status malformed(const cursor *c, const char *why) {
    return vsq_error(VSQ_EFORMAT, "'%s': malformed .npy header: %s", c->what, why);
}

static void skip_ws(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* Skip whitespace, then consume `ch` if it is next. */
static int accept(cursor *c, char ch) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted Python string without escapes: 'abc' or "abc". */
static vsq_status parse_string(cursor *c, char *buf, size_t size) {
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return malformed(c, "expected a string");
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || (unsigned char)*c->p < 0x20) return malformed(c, "bad character in string");
        if (n + 1 >= size) return malformed(c, "string too long");
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end) return malformed(c, "unterminated string");
    c->p++;
    buf[n] = '\0';
    return VSQ_OK;
}

static vsq_status parse_bool(cursor *c, int *out) {
    skip_ws(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && !memcmp(c->p, "True", 4)) {
        c->p += 4;
        *out = 1;
    } else if (left >= 5 && !memcmp(c->p, "False", 5)) {
        c->p += 5;
        *out = 0;
    } else {
        return malformed(c, "'fortran_order' must be True or False");
    }
    return VSQ_OK;
}

static vsq_status parse_dim(cursor *c, size_t *out) {
    skip_ws(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') return malformed(c, "shape entries must be non-negative integers");
    size_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        v = v * 10 + (size_t)(*c->p++ - '0');
        if (v > NPY_MAX_DIM)
            return vsq_error(VSQ_EFORMAT, "'%s': .npy shape entry is too large", c->what);
    }
    if (c->p < c->end && *c->p == 'L') c->p++; /* Python 2 long suffix */
    *out = v;
    return VSQ_OK;
}

/* "(" [dim ("," dim)* [","]] ")"  -- "()" is 0-d, "(5,)" is 1-d. */
static vsq_status parse_shape(cursor *c, int *ndim, size_t *shape) {
    if (!accept(c, '(')) return malformed(c, "'shape' must be a tuple");
    *ndim = 0;
    if (accept(c, ')')) return VSQ_OK;
    for (;;) {
        if (*ndim >= VSQ_MAX_DIMS)
            return vsq_error(VSQ_EUNSUPPORTED, "'%s': .npy tensor has more than %d dimensions",
                             c->what, VSQ_MAX_DIMS);
        vsq_status st = parse_dim(c, &shape[(*ndim)++]);
        if (st) return st;
        if (accept(c, ')')) return VSQ_OK;
        if (!accept(c, ',')) return malformed(c, "expected ',' or ')' in 'shape'");
        if (accept(c, ')')) return VSQ_OK;
    }
}

static vsq_status dtype_from_descr(const cursor *c, const char *d, vsq_dtype *out) {
    static const struct {
        const char *descr;
        vsq_dtype dtype;
    } known[] = {{"<f4", VSQ_DTYPE_F32}, {"<f8", VSQ_DTYPE_F64}, {"|i1", VSQ_DTYPE_I8},
                 {"<i1", VSQ_DTYPE_I8},  {"|u1", VSQ_DTYPE_U8},  {"<u1", VSQ_DTYPE_U8},
                 {"<i4", VSQ_DTYPE_I32}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(d, known[i].descr)) {
            *out = known[i].dtype;
            return VSQ_OK;
        }
    if (d[0] == '>')
        return vsq_error(VSQ_EUNSUPPORTED, "'%s': big-endian dtype '%s' is not supported "
                         "(save little-endian, e.g. a.astype('<f4'))", c->what, d);
    return vsq_error(VSQ_EUNSUPPORTED, "'%s': unsupported .npy dtype '%s' "
                     "(supported: <f4 <f8 |i1 |u1 <i4)", c->what, d);
}

/* Parse the dict: exactly the keys descr, fortran_order, shape, any order. */
static vsq_status parse_header(cursor *c, vsq_tensor *t) {
    int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0;
    char descr[64];
    if (!accept(c, '{')) return malformed(c, "expected '{'");
    while (!accept(c, '}')) {
        char key[32];
        vsq_status st = parse_string(c, key, sizeof key);
        if (st) return st;
        if (!accept(c, ':')) return malformed(c, "expected ':' after a key");
        if (!strcmp(key, "descr")) {
            if (have_descr++) return malformed(c, "duplicate key 'descr'");
            skip_ws(c);
            if (c->p < c->end && *c->p == '[')
                return vsq_error(VSQ_EUNSUPPORTED, "'%s': structured .npy dtypes are not supported", c->what);
            st = parse_string(c, descr, sizeof descr);
        } else if (!strcmp(key, "fortran_order")) {
            if (have_order++) return malformed(c, "duplicate key 'fortran_order'");
            st = parse_bool(c, &fortran);
        } else if (!strcmp(key, "shape")) {
            if (have_shape++) return malformed(c, "duplicate key 'shape'");
            st = parse_shape(c, &t->ndim, t->shape);
        } else {
            return malformed(c, "unknown key (expected descr, fortran_order, shape)");
        }
        if (st) return st;
        if (!accept(c, ',')) {
            if (!accept(c, '}')) return malformed(c, "expected ',' or '}'");
            break;
        }
    }
    skip_ws(c);
    if (c->p != c->end) return malformed(c, "unexpected text after the dictionary");
    if (!have_descr || !have_order || !have_shape)
        return malformed(c, "missing key (need descr, fortran_order and shape)");
    vsq_status st = dtype_from_descr(c, descr, &t->dtype);
    if (st) return st;
    if (fortran)
        return vsq_error(VSQ_EUNSUPPORTED, "'%s': Fortran-order .npy arrays are not supported "
                         "(save with np.ascontiguousarray)", c->what);
    return VSQ_OK;
}

/* ---- file level -------------------------------------------------------- */

static uint32_t rd_le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd_le32(const uint8_t *p) { return rd_le16(p) | rd_le16(p + 2) << 16; }

/* numel * itemsize, or SIZE_MAX on overflow */
static size_t data_bytes(const vsq_tensor *t) {
    size_t n = vsq_dtype_size(t->dtype);
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] && n > SIZE_MAX / t->shape[i]) return SIZE_MAX;
        n *= t->shape[i];
    }
    return n;
}

vsq_status vsq_npy_parse(const uint8_t *buf, size_t len, const char *what, vsq_tensor *out) {
    memset(out, 0, sizeof *out);
    if (!what) what = "<memory>";
    if (len < 10 || memcmp(buf, NPY_MAGIC, 6) != 0) {
        if (len >= 6 && memcmp(buf, NPY_MAGIC, 6) != 0)
            return vsq_error(VSQ_EFORMAT, "'%s': not a .npy file (bad magic)", what);
        return vsq_error(VSQ_EFORMAT, "'%s': truncated .npy file (%zu bytes)", what, len);
    }
    int major = buf[6], minor = buf[7];
    if (major < 1 || major > 3 || minor != 0)
        return vsq_error(VSQ_EUNSUPPORTED, "'%s': .npy format version %d.%d is not supported "
                         "(1.0, 2.0, 3.0)", what, major, minor);
    size_t pre = major == 1 ? 10 : 12;
    if (len < pre) return vsq_error(VSQ_EFORMAT, "'%s': truncated .npy header", what);
    size_t hlen = major == 1 ? rd_le16(buf + 8) : rd_le32(buf + 8);
    if (hlen > len - pre)
        return vsq_error(VSQ_EFORMAT, "'%s': truncated .npy header (%zu bytes declared, %zu present)",
                         what, hlen, len - pre);
    cursor c = {(const char *)buf + pre, (const char *)buf + pre + hlen, what};
    vsq_status st = parse_header(&c, out);
    if (st) {
        memset(out, 0, sizeof *out);
        return st;
    }
    size_t need = data_bytes(out), have = len - pre - hlen;
    if (need == SIZE_MAX) {
        memset(out, 0, sizeof *out);
        return vsq_error(VSQ_EFORMAT, "'%s': .npy shape is too large (size overflows)", what);
    }
    if (have != need) {
        memset(out, 0, sizeof *out);
        return vsq_error(VSQ_EFORMAT, "'%s': %s .npy data: %zu bytes present, shape needs %zu", what,
                         have < need ? "truncated" : "trailing bytes after", have, need);
    }
    out->data = malloc(need ? need : 1);
    if (!out->data) {
        memset(out, 0, sizeof *out);
        return vsq_error(VSQ_ENOMEM, "'%s': out of memory (%zu bytes)", what, need);
    }
    memcpy(out->data, buf + pre + hlen, need);
    return VSQ_OK;
}

vsq_status vsq_npy_load(const char *path, vsq_tensor *out) {
    memset(out, 0, sizeof *out);
    uint8_t *buf;
    size_t len;
    vsq_status st = vsq_read_file(path, &buf, &len);
    if (st) return st;
    st = vsq_npy_parse(buf, len, path, out);
    free(buf);
    return st;
}

static const char *descr_of(vsq_dtype d) {
    switch (d) {
    case VSQ_DTYPE_F32: return "<f4";
    case VSQ_DTYPE_F64: return "<f8";
    case VSQ_DTYPE_I8: return "|i1";
    case VSQ_DTYPE_U8: return "|u1";
    case VSQ_DTYPE_I32: return "<i4";
    }
    return NULL;
}

/* Header text padded with spaces and '\n' so the data starts at a multiple
 * of 64 bytes, as NumPy writes it. Returns the padded length. */
static size_t format_header(const vsq_tensor *t, char *h, size_t size, size_t pre) {
    int n = snprintf(h, size, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     descr_of(t->dtype));
    for (int i = 0; i < t->ndim; i++)
        n += snprintf(h + n, size - (size_t)n, "%s%zu", i ? ", " : "", t->shape[i]);
    n += snprintf(h + n, size - (size_t)n, "%s), }", t->ndim == 1 ? "," : "");
    size_t total = ((pre + (size_t)n + 1 + 63) / 64) * 64 - pre;
    memset(h + n, ' ', total - (size_t)n - 1);
    h[total - 1] = '\n';
    return total;
}

vsq_status vsq_npy_save(const char *path, const vsq_tensor *t) {
    if (!t || t->ndim < 0 || t->ndim > VSQ_MAX_DIMS || !descr_of(t->dtype))
        return vsq_error(VSQ_EINVAL, "npy_save '%s': invalid tensor", path ? path : "");
    size_t bytes = data_bytes(t);
    if (bytes == SIZE_MAX) return vsq_error(VSQ_EINVAL, "npy_save '%s': shape overflows", path);
    if (bytes && !t->data) return vsq_error(VSQ_EINVAL, "npy_save '%s': tensor has no data", path);
    /* With at most 8 dims the header is < 400 bytes: always version 1.0.
     * Version 2.0 (u32 length) would be needed only past 65535 bytes. */
    char h[512 + 64];
    size_t hlen = format_header(t, h, sizeof h - 64, 10);
    uint8_t pre[12];
    size_t npre = 10;
    memcpy(pre, NPY_MAGIC, 6);
    pre[6] = 1;
    pre[7] = 0;
    pre[8] = (uint8_t)(hlen & 0xFF);
    pre[9] = (uint8_t)(hlen >> 8);
    const void *parts[3] = {pre, h, t->data};
    size_t lens[3] = {npre, hlen, bytes};
    return vsq_write_atomic_parts(path, parts, lens, 3);
}
