/* The .vsq container, format v1: one quantized tensor with its format,
 * shape, axis, bit-packed codes, scales and a CRC-32. Byte layout in
 * docs/container.md. The encoder refuses to write anything the decoder
 * would reject, and the decoder validates every field before trusting it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "vsq/container.h"

#define VSQT_MAGIC "VSQT"
#define VSQT_VERSION 1
#define VSQT_SPEC_MAX 127
#define VSQT_MAX_ELEMS ((size_t)1 << 48)
#define E8M0_ZERO 255 /* byte 255 (NaN in OCP MX) stores a zero scale here */

/* Header fields shared by encoder and decoder. */
typedef struct {
    vsq_format fmt;
    char spec[VSQT_SPEC_MAX + 1];
    int ndim, axis;
    size_t shape[VSQ_MAX_DIMS];
    size_t rows, cols, channels, vec_len, n_vec, n_scale, n_gamma;
    size_t codes_bytes, scale_bytes, gamma_bytes, total;
} layout;

/* ---- little-endian writer / bounds-checked reader --------------------- */

static uint8_t *put_u8(uint8_t *p, unsigned v) { *p = (uint8_t)v; return p + 1; }
static uint8_t *put_u16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); return p + 2; }
static uint8_t *put_u32(uint8_t *p, uint32_t v) { return put_u16(put_u16(p, v & 0xFFFF), v >> 16); }
static uint8_t *put_u64(uint8_t *p, uint64_t v) { return put_u32(put_u32(p, (uint32_t)v), (uint32_t)(v >> 32)); }
static uint8_t *put_f32(uint8_t *p, float f) { uint32_t u; memcpy(&u, &f, 4); return put_u32(p, u); }

typedef struct {
    const uint8_t *p, *end;
} reader;

static int get_u8(reader *r, unsigned *v) {
    if (r->end - r->p < 1) return 0;
    *v = *r->p++;
    return 1;
}
static int get_u16(reader *r, unsigned *v) {
    if (r->end - r->p < 2) return 0;
    *v = (unsigned)r->p[0] | (unsigned)r->p[1] << 8;
    r->p += 2;
    return 1;
}
static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static int get_u64(reader *r, size_t *v) {
    if (r->end - r->p < 8) return 0;
    uint64_t x = le32(r->p) | (uint64_t)le32(r->p + 4) << 32;
    r->p += 8;
    if (x > VSQT_MAX_ELEMS) return -1; /* no count or size may be this large */
    *v = (size_t)x;
    return 1;
}
static float f32_at(const uint8_t *p) {
    uint32_t u = le32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* ---- layout: sizes and consistency ------------------------------------ */

static size_t fixed_header_bytes(const layout *L) {
    return 4 + 2 + 2 + strlen(L->spec) + 8 + 8 * (size_t)L->ndim + 6 * 8;
}

/* Check that the counts agree with the format and shape, and compute the
 * section sizes. `bad` is VSQ_EINVAL when encoding, VSQ_EFORMAT decoding. */
static vsq_status check_layout(layout *L, vsq_status bad, const char *what) {
    const vsq_format *f = &L->fmt;
    if (L->ndim < 0 || L->ndim > VSQ_MAX_DIMS)
        return vsq_error(bad, "'%s': ndim %d is outside 0..%d", what, L->ndim, VSQ_MAX_DIMS);
    if (L->axis < 0 || L->axis >= (L->ndim ? L->ndim : 1))
        return vsq_error(bad, "'%s': axis %d is out of range for %d-d shape", what, L->axis, L->ndim);
    size_t numel = 1;
    for (int i = 0; i < L->ndim; i++) {
        if (L->shape[i] == 0) return vsq_error(bad, "'%s': empty tensors are not stored", what);
        if (L->shape[i] > VSQT_MAX_ELEMS / numel)
            return vsq_error(bad, "'%s': shape is too large", what);
        numel *= L->shape[i];
    }
    size_t cols = L->ndim ? L->shape[L->axis] : 1;
    if (L->cols != cols || L->rows != numel / cols)
        return vsq_error(bad, "'%s': matrix %zu x %zu does not match the shape and axis", what,
                         L->rows, L->cols);
    if (L->channels == 0 || L->rows % L->channels != 0)
        return vsq_error(bad, "'%s': %zu channels do not divide %zu rows", what, L->channels, L->rows);
    size_t v = f->gran == VSQ_GRAN_VECTOR ? (size_t)f->vec_len : cols;
    if (L->vec_len != v)
        return vsq_error(bad, "'%s': vector length %zu, format says %zu", what, L->vec_len, v);
    L->n_vec = (cols + v - 1) / v;
    size_t n_scale = f->gran == VSQ_GRAN_TENSOR ? 1
                   : f->gran == VSQ_GRAN_CHANNEL ? L->channels : L->rows * L->n_vec;
    size_t n_gamma = f->scale != VSQ_SCALE_TWO_LEVEL ? 0 : f->coarse_per_tensor ? 1 : L->channels;
    if (L->n_scale != n_scale || L->n_gamma != n_gamma)
        return vsq_error(bad, "'%s': %zu scales and %zu coarse scales, format and shape need "
                         "%zu and %zu", what, L->n_scale, L->n_gamma, n_scale, n_gamma);
    L->codes_bytes = vsq_packed_bytes(numel, f->bits);
    if (f->gran != VSQ_GRAN_VECTOR) L->scale_bytes = 4 * n_scale; /* pt/pc: fp32 */
    else if (f->scale == VSQ_SCALE_FP16) L->scale_bytes = 2 * n_scale;
    else if (f->scale == VSQ_SCALE_E8M0) L->scale_bytes = n_scale;
    else if (f->scale == VSQ_SCALE_TWO_LEVEL) L->scale_bytes = vsq_packed_bytes(n_scale, f->scale_bits);
    else L->scale_bytes = 4 * n_scale;
    L->gamma_bytes = 4 * n_gamma;
    L->total = fixed_header_bytes(L) + L->codes_bytes + L->scale_bytes + L->gamma_bytes + 4;
    return VSQ_OK;
}

/* How a per-vector scale is stored (pt/pc scales are always fp32). */
static vsq_scale_kind stored_kind(const vsq_format *f) {
    return f->gran == VSQ_GRAN_VECTOR ? f->scale : VSQ_SCALE_FP32;
}

/* ---- encoder ----------------------------------------------------------- */

/* Float scale -> e8m0 byte: exact powers of two 2^(e-127), e in 0..254. */
static int e8m0_encode(float s, unsigned *e) {
    if (s == 0.0f) {
        *e = E8M0_ZERO;
        return 1;
    }
    int ex;
    float m = frexpf(s, &ex); /* s = m * 2^ex, m in [0.5, 1) */
    if (m != 0.5f || ex - 1 + 127 < 0 || ex - 1 + 127 > 254) return 0;
    *e = (unsigned)(ex - 1 + 127);
    return 1;
}

static vsq_status check_values(const vsq_qfile *f, const layout *L, const char *what) {
    const vsq_qtensor *q = &f->q;
    int qmin = vsq_format_qmin(&q->fmt), qmax = vsq_format_qmax(&q->fmt);
    for (size_t i = 0; i < L->rows * L->cols; i++)
        if (q->codes[i] < qmin || q->codes[i] > qmax)
            return vsq_error(VSQ_EINVAL, "%s: code %d at %zu is outside %d..%d", what,
                             q->codes[i], i, qmin, qmax);
    for (size_t g = 0; g < L->n_gamma; g++)
        if (!isfinite(q->gamma[g]) || q->gamma[g] < 0)
            return vsq_error(VSQ_EINVAL, "%s: coarse scale %zu is %g (must be finite, >= 0)", what,
                             g, q->gamma[g]);
    vsq_scale_kind kind = stored_kind(&q->fmt);
    for (size_t i = 0; i < L->n_scale; i++) {
        float s = q->scale ? q->scale[i] : 0.0f;
        unsigned e;
        if (kind == VSQ_SCALE_TWO_LEVEL) {
            if (q->sq[i] >> q->fmt.scale_bits)
                return vsq_error(VSQ_EINVAL, "%s: integer scale %u at %zu exceeds %d bits", what,
                                 q->sq[i], i, q->fmt.scale_bits);
            size_t g = L->n_gamma == 1 ? 0 : (i / L->n_vec) / (L->rows / L->n_gamma);
            if (!isfinite((float)q->sq[i] * q->gamma[g]))
                return vsq_error(VSQ_EINVAL, "%s: scale %zu (s_q * gamma) overflows", what, i);
            continue;
        }
        int may_be_negative = q->fmt.elem == VSQ_ELEM_INTF && kind != VSQ_SCALE_E8M0;
        if (!isfinite(s) || (s < 0 && !may_be_negative))
            return vsq_error(VSQ_EINVAL, "%s: scale %zu is %g (must be finite, >= 0)", what, i, s);
        if (kind == VSQ_SCALE_FP16 && vsq_f16_to_f32(vsq_f32_to_f16(s)) != s)
            return vsq_error(VSQ_EINVAL, "%s: scale %zu (%g) is not an fp16 value", what, i, s);
        if (kind == VSQ_SCALE_E8M0 && !e8m0_encode(s, &e))
            return vsq_error(VSQ_EINVAL, "%s: scale %zu (%g) is not a power of two in e8m0 range",
                             what, i, s);
    }
    return VSQ_OK;
}

static vsq_status layout_of(const vsq_qfile *f, layout *L) {
    const char *what = "container encode";
    memset(L, 0, sizeof *L);
    const vsq_qtensor *q = &f->q;
    L->fmt = q->fmt;
    int n = vsq_format_str(&q->fmt, L->spec, sizeof L->spec);
    if (n <= 0 || n > VSQT_SPEC_MAX) return vsq_error(VSQ_EINVAL, "%s: format string too long", what);
    /* the decoder demands the canonical spec: it must parse back to itself */
    vsq_format check;
    char again[VSQT_SPEC_MAX + 1];
    if (vsq_format_parse(L->spec, &check) != VSQ_OK ||
        vsq_format_str(&check, again, sizeof again) != n || strcmp(again, L->spec) != 0)
        return vsq_error(VSQ_EINVAL, "%s: format '%s' does not round-trip", what, L->spec);
    L->ndim = f->ndim;
    L->axis = f->axis < 0 ? f->axis + (f->ndim ? f->ndim : 1) : f->axis;
    for (int i = 0; i < f->ndim && i < VSQ_MAX_DIMS; i++) L->shape[i] = f->shape[i];
    L->rows = q->rows;
    L->cols = q->cols;
    L->channels = q->channels;
    L->vec_len = q->vec_len;
    L->n_scale = q->n_scale;
    L->n_gamma = q->fmt.scale == VSQ_SCALE_TWO_LEVEL ? q->n_gamma : 0;
    vsq_status st = check_layout(L, VSQ_EINVAL, what);
    if (st) return st;
    if (!q->codes || (!q->scale && stored_kind(&q->fmt) != VSQ_SCALE_TWO_LEVEL) ||
        (q->fmt.scale == VSQ_SCALE_TWO_LEVEL && (!q->sq || !q->gamma)))
        return vsq_error(VSQ_EINVAL, "%s: quantized tensor is missing codes or scales", what);
    return check_values(f, L, what);
}

static uint8_t *put_codes(uint8_t *p, const vsq_qtensor *q, size_t n) {
    uint16_t *u = malloc(n * sizeof *u);
    if (!u) return NULL;
    for (size_t i = 0; i < n; i++) u[i] = (uint16_t)q->codes[i]; /* low N bits: two's complement */
    vsq_pack_bits(u, n, q->fmt.bits, p);
    free(u);
    return p + vsq_packed_bytes(n, q->fmt.bits);
}

static uint8_t *put_scales(uint8_t *p, const vsq_qtensor *q, const layout *L) {
    switch (stored_kind(&q->fmt)) {
    case VSQ_SCALE_FP16:
        for (size_t i = 0; i < L->n_scale; i++) p = put_u16(p, vsq_f32_to_f16(q->scale[i]));
        return p;
    case VSQ_SCALE_E8M0:
        for (size_t i = 0; i < L->n_scale; i++) {
            unsigned e = 0;
            e8m0_encode(q->scale[i], &e);
            p = put_u8(p, e);
        }
        return p;
    case VSQ_SCALE_TWO_LEVEL:
        vsq_pack_bits(q->sq, L->n_scale, q->fmt.scale_bits, p);
        p += L->scale_bytes;
        for (size_t g = 0; g < L->n_gamma; g++) p = put_f32(p, q->gamma[g]);
        return p;
    default:
        for (size_t i = 0; i < L->n_scale; i++) p = put_f32(p, q->scale[i]);
        return p;
    }
}

vsq_status vsq_container_encode(const vsq_qfile *f, uint8_t **buf, size_t *len) {
    *buf = NULL;
    *len = 0;
    if (!f) return vsq_error(VSQ_EINVAL, "container encode: null file");
    layout L;
    vsq_status st = layout_of(f, &L);
    if (st) return st;
    uint8_t *b = malloc(L.total), *p = b;
    if (!b) return vsq_error(VSQ_ENOMEM, "container encode: out of memory (%zu bytes)", L.total);
    size_t spec_len = strlen(L.spec);
    memcpy(p, VSQT_MAGIC, 4);
    p = put_u16(p + 4, VSQT_VERSION);
    p = put_u16(p, (unsigned)spec_len);
    memcpy(p, L.spec, spec_len);
    p += spec_len;
    p = put_u8(p, (unsigned)L.fmt.elem);
    p = put_u8(p, (unsigned)L.fmt.bits);
    p = put_u8(p, (unsigned)L.fmt.scale);
    p = put_u8(p, (unsigned)L.fmt.scale_bits);
    p = put_u8(p, (unsigned)L.ndim);
    p = put_u8(p, (unsigned)L.axis);
    p = put_u16(p, 0); /* reserved */
    for (int i = 0; i < L.ndim; i++) p = put_u64(p, L.shape[i]);
    size_t counts[6] = {L.rows, L.cols, L.channels, L.vec_len, L.n_scale, L.n_gamma};
    for (int i = 0; i < 6; i++) p = put_u64(p, counts[i]);
    if (!(p = put_codes(p, &f->q, L.rows * L.cols))) {
        free(b);
        return vsq_error(VSQ_ENOMEM, "container encode: out of memory");
    }
    p = put_scales(p, &f->q, &L);
    p = put_u32(p, vsq_crc32(0, b, (size_t)(p - b)));
    *buf = b;
    *len = L.total;
    return VSQ_OK;
}

vsq_status vsq_container_save(const char *path, const vsq_qfile *f) {
    uint8_t *buf;
    size_t len;
    vsq_status st = vsq_container_encode(f, &buf, &len);
    if (st) return st;
    st = vsq_write_atomic(path, buf, len);
    free(buf);
    return st;
}

/* ---- decoder ----------------------------------------------------------- */

static vsq_status bad(const char *what, const char *why) {
    return vsq_error(VSQ_EFORMAT, "'%s': %s", what, why);
}

/* Magic, version, spec string and fixed fields; fills L (not yet checked). */
static vsq_status read_header(reader *r, const char *what, layout *L) {
    unsigned version, spec_len, u[6];
    if (r->end - r->p < 4) return bad(what, "truncated .vsq file (no magic)");
    if (memcmp(r->p, VSQT_MAGIC, 4) != 0) return bad(what, "not a .vsq file (bad magic)");
    r->p += 4;
    if (!get_u16(r, &version) || !get_u16(r, &spec_len)) return bad(what, "truncated .vsq header");
    if (version != VSQT_VERSION)
        return vsq_error(VSQ_EUNSUPPORTED, "'%s': .vsq version %u is not supported (this reader: %d)",
                         what, version, VSQT_VERSION);
    if (spec_len == 0 || spec_len > VSQT_SPEC_MAX) return bad(what, "bad format-spec length");
    if (r->end - r->p < (long)spec_len) return bad(what, "truncated .vsq header (format spec)");
    for (unsigned i = 0; i < spec_len; i++) {
        if (r->p[i] < 0x21 || r->p[i] > 0x7E) return bad(what, "format spec is not printable ASCII");
        L->spec[i] = (char)r->p[i];
    }
    L->spec[spec_len] = '\0';
    r->p += spec_len;
    if (vsq_format_parse(L->spec, &L->fmt) != VSQ_OK)
        return vsq_error(VSQ_EFORMAT, "'%s': invalid format spec '%s' in header", what, L->spec);
    char canon[VSQT_SPEC_MAX + 1];
    vsq_format_str(&L->fmt, canon, sizeof canon);
    if (strcmp(canon, L->spec) != 0) return bad(what, "format spec is not in canonical form");
    for (int i = 0; i < 6; i++)
        if (!get_u8(r, &u[i])) return bad(what, "truncated .vsq header");
    unsigned reserved;
    if (!get_u16(r, &reserved)) return bad(what, "truncated .vsq header");
    if (u[0] != (unsigned)L->fmt.elem || u[1] != (unsigned)L->fmt.bits ||
        u[2] != (unsigned)L->fmt.scale || u[3] != (unsigned)L->fmt.scale_bits)
        return bad(what, "element/scale fields disagree with the format spec");
    if (u[4] > VSQ_MAX_DIMS) return bad(what, "too many dimensions");
    if (reserved != 0) return bad(what, "reserved header field is not zero");
    L->ndim = (int)u[4];
    L->axis = (int)u[5];
    size_t *counts[6] = {&L->rows, &L->cols, &L->channels, &L->vec_len, &L->n_scale, &L->n_gamma};
    for (int i = 0; i < L->ndim + 6; i++) {
        int ok = get_u64(r, i < L->ndim ? &L->shape[i] : counts[i - L->ndim]);
        if (ok == 0) return bad(what, "truncated .vsq header");
        if (ok < 0) return bad(what, "size field in header is too large");
    }
    return VSQ_OK;
}

static vsq_status alloc_qtensor(vsq_qtensor *q, const layout *L, const char *what) {
    size_t n = L->rows * L->cols;
    q->codes = malloc(n * sizeof *q->codes);
    q->scale = malloc(L->n_scale * sizeof *q->scale);
    if (L->fmt.scale == VSQ_SCALE_TWO_LEVEL) {
        q->sq = malloc(L->n_scale * sizeof *q->sq);
        q->gamma = malloc(L->n_gamma * sizeof *q->gamma);
    }
    if (!q->codes || !q->scale || (L->fmt.scale == VSQ_SCALE_TWO_LEVEL && (!q->sq || !q->gamma)))
        return vsq_error(VSQ_ENOMEM, "'%s': out of memory", what);
    return VSQ_OK;
}

/* The unused high bits of a packed section's last byte must be zero, so
 * that every accepted file is the one the encoder would write. */
static vsq_status check_padding(const uint8_t *sec, size_t n, int bits, const char *what) {
    unsigned used = (unsigned)(((n % 8) * (size_t)bits) % 8);
    if (used && (sec[vsq_packed_bytes(n, bits) - 1] >> used) != 0)
        return vsq_error(VSQ_EFORMAT, "'%s': non-zero padding bits in a packed section", what);
    return VSQ_OK;
}

/* Unpack N-bit codes, sign-extend for signed elements, check the range. */
static vsq_status read_codes(const uint8_t *p, vsq_qtensor *q, size_t n, const char *what) {
    int bits = q->fmt.bits, qmin = vsq_format_qmin(&q->fmt), qmax = vsq_format_qmax(&q->fmt);
    vsq_status st = check_padding(p, n, bits, what);
    if (st) return st;
    uint16_t *u = (uint16_t *)q->codes; /* same size, unpacked in place */
    vsq_unpack_bits(p, n, bits, u);
    for (size_t i = 0; i < n; i++) {
        int v = u[i];
        if (q->fmt.elem != VSQ_ELEM_UINT && (v >> (bits - 1))) v -= 1 << bits;
        if (v < qmin || v > qmax)
            return vsq_error(VSQ_EFORMAT, "'%s': code %d at element %zu is outside %d..%d", what, v,
                             i, qmin, qmax);
        q->codes[i] = (int16_t)v;
    }
    return VSQ_OK;
}

static vsq_status check_scale(float s, size_t i, const char *what) {
    if (!isfinite(s) || s < 0)
        return vsq_error(VSQ_EFORMAT, "'%s': scale %zu is %g (must be finite, >= 0)", what, i, s);
    return VSQ_OK;
}

/* intNf with fp16/fp32 scales stores signed scales (docs/formats.md). */
static vsq_status check_float_scale(float s, size_t i, const vsq_format *fmt, const char *what) {
    if (fmt->elem == VSQ_ELEM_INTF && isfinite(s)) return VSQ_OK;
    return check_scale(s, i, what);
}

/* Decode the scale section; for two-level, scale = sq * gamma (eq. 7h). */
static vsq_status read_scales(const uint8_t *p, vsq_qtensor *q, const layout *L, const char *what) {
    vsq_status st = VSQ_OK;
    switch (stored_kind(&q->fmt)) {
    case VSQ_SCALE_FP16:
        for (size_t i = 0; i < L->n_scale && !st; i++)
            st = check_float_scale(q->scale[i] = vsq_f16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8)), i,
                                   &q->fmt, what);
        return st;
    case VSQ_SCALE_E8M0:
        for (size_t i = 0; i < L->n_scale; i++)
            q->scale[i] = p[i] == E8M0_ZERO ? 0.0f : ldexpf(1.0f, (int)p[i] - 127);
        return VSQ_OK;
    case VSQ_SCALE_TWO_LEVEL: {
        if ((st = check_padding(p, L->n_scale, q->fmt.scale_bits, what))) return st;
        vsq_unpack_bits(p, L->n_scale, q->fmt.scale_bits, q->sq);
        p += L->scale_bytes;
        for (size_t g = 0; g < L->n_gamma && !st; g++)
            st = check_scale(q->gamma[g] = f32_at(p + 4 * g), g, what);
        if (st) return st;
        size_t rows_per_gamma = L->rows / L->n_gamma;
        for (size_t i = 0; i < L->n_scale && !st; i++) /* s_q * gamma may overflow: check */
            st = check_scale(q->scale[i] = (float)q->sq[i] * q->gamma[(i / L->n_vec) / rows_per_gamma],
                             i, what);
        return st;
    }
    default:
        for (size_t i = 0; i < L->n_scale && !st; i++) st = check_float_scale(q->scale[i] = f32_at(p + 4 * i), i, &q->fmt, what);
        return st;
    }
}

vsq_status vsq_container_decode(const uint8_t *buf, size_t len, const char *what, vsq_qfile *out) {
    memset(out, 0, sizeof *out);
    if (!what) what = "<memory>";
    if (!buf) return vsq_error(VSQ_EINVAL, "'%s': no data", what);
    reader r = {buf, buf + len};
    layout L;
    memset(&L, 0, sizeof L);
    vsq_status st = read_header(&r, what, &L);
    if (!st) st = check_layout(&L, VSQ_EFORMAT, what);
    if (st) return st;
    if (len < L.total)
        return vsq_error(VSQ_EFORMAT, "'%s': truncated .vsq file (%zu bytes, header needs %zu)", what,
                         len, L.total);
    if (len > L.total)
        return vsq_error(VSQ_EFORMAT, "'%s': %zu unexpected bytes after the .vsq data", what,
                         len - L.total);
    uint32_t crc = vsq_crc32(0, buf, len - 4);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    crc = le32(buf + len - 4); /* fuzz builds only: let mutations reach the payload checks */
#endif
    if (crc != le32(buf + len - 4))
        return vsq_error(VSQ_EFORMAT, "'%s': .vsq checksum mismatch (file is corrupt)", what);
    vsq_qtensor *q = &out->q;
    q->fmt = L.fmt;
    q->rows = L.rows;
    q->cols = L.cols;
    q->channels = L.channels;
    q->vec_len = L.vec_len;
    q->n_vec = L.n_vec;
    q->n_scale = L.n_scale;
    q->n_gamma = L.n_gamma;
    const uint8_t *codes = r.p, *scales = codes + L.codes_bytes;
    if ((st = alloc_qtensor(q, &L, what)) || (st = read_codes(codes, q, L.rows * L.cols, what)) ||
        (st = read_scales(scales, q, &L, what))) {
        vsq_qfile_free(out);
        return st;
    }
    out->ndim = L.ndim;
    out->axis = L.axis;
    memcpy(out->shape, L.shape, sizeof out->shape);
    return VSQ_OK;
}

vsq_status vsq_container_load(const char *path, vsq_qfile *out) {
    memset(out, 0, sizeof *out);
    uint8_t *buf;
    size_t len;
    vsq_status st = vsq_read_file(path, &buf, &len);
    if (st) return st;
    st = vsq_container_decode(buf, len, path, out);
    free(buf);
    return st;
}

void vsq_qfile_free(vsq_qfile *f) {
    if (!f) return;
    vsq_qtensor *q = &f->q;
    free(q->codes);
    free(q->scale);
    free(q->sq);
    free(q->gamma);
    q->codes = NULL;
    q->scale = NULL;
    q->sq = NULL;
    q->gamma = NULL;
}
