/* Packed layouts for weights and activations (see vsq/kernels.h and
 * docs/kernels.md), and their plain-C pack / unpack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "isa_table.h"
#include "quant/quant_internal.h"
#include "quantize_pack.h"

/* ---- one row chunk of 64 unsigned codes ----------------------------------
 * cb=8: byte e = u[e]
 * cb=4: byte j (0..31) = u[j] | u[j+32] << 4
 * cb=6: the cb=4 nibble plane of the low 4 bits (32 bytes), then 16 bytes:
 *       byte j = sum_q ((u[j+16q] >> 4) & 3) << 2q
 * cb=3: 16 bytes: byte j = sum_q (u[j+16q] & 3) << 2q, then 8 bytes:
 *       byte j (0..7) = sum_t ((u[j+8t] >> 2) & 1) << t                      */
void vsqk_pack_chunk(const uint8_t u[64], int cb, uint8_t *dst) {
    switch (cb) {
    case 8: memcpy(dst, u, 64); break;
    case 4:
        for (int j = 0; j < 32; j++) dst[j] = (uint8_t)((u[j] & 15) | (u[j + 32] & 15) << 4);
        break;
    case 6:
        for (int j = 0; j < 32; j++) dst[j] = (uint8_t)((u[j] & 15) | (u[j + 32] & 15) << 4);
        for (int j = 0; j < 16; j++) {
            unsigned b = 0;
            for (int q = 0; q < 4; q++) b |= (unsigned)((u[j + 16 * q] >> 4) & 3) << (2 * q);
            dst[32 + j] = (uint8_t)b;
        }
        break;
    default: /* 3 */
        for (int j = 0; j < 16; j++) {
            unsigned b = 0;
            for (int q = 0; q < 4; q++) b |= (unsigned)(u[j + 16 * q] & 3) << (2 * q);
            dst[j] = (uint8_t)b;
        }
        for (int j = 0; j < 8; j++) {
            unsigned b = 0;
            for (int t = 0; t < 8; t++) b |= (unsigned)((u[j + 8 * t] >> 2) & 1) << t;
            dst[16 + j] = (uint8_t)b;
        }
    }
}

void vsqk_unpack_chunk(const uint8_t *src, int cb, uint8_t u[64]) {
    switch (cb) {
    case 8: memcpy(u, src, 64); break;
    case 4:
        for (int j = 0; j < 32; j++) {
            u[j] = src[j] & 15;
            u[j + 32] = src[j] >> 4;
        }
        break;
    case 6:
        for (int j = 0; j < 32; j++) {
            u[j] = src[j] & 15;
            u[j + 32] = src[j] >> 4;
        }
        for (int e = 0; e < 64; e++) u[e] |= (uint8_t)(((src[32 + e % 16] >> (2 * (e / 16))) & 3) << 4);
        break;
    default:
        for (int e = 0; e < 64; e++)
            u[e] = (uint8_t)(((src[e % 16] >> (2 * (e / 16))) & 3) |
                             ((src[16 + e % 8] >> (e / 8)) & 1) << 2);
    }
}

double vsqk_scale_get(const uint8_t *p, vsq_pscale t, size_t idx) {
    switch (t) {
    case VSQ_PSCALE_U8: return p[idx];
    case VSQ_PSCALE_U16: {
        uint16_t v;
        memcpy(&v, p + 2 * idx, 2);
        return v;
    }
    case VSQ_PSCALE_F16: {
        uint16_t v;
        memcpy(&v, p + 2 * idx, 2);
        return vsq_f16_to_f32(v);
    }
    default: {
        float f;
        memcpy(&f, p + 4 * idx, 4);
        return f;
    }
    }
}

static void scale_put(uint8_t *p, vsq_pscale t, size_t idx, double v) {
    switch (t) {
    case VSQ_PSCALE_U8: p[idx] = (uint8_t)v; break;
    case VSQ_PSCALE_U16: {
        uint16_t s = (uint16_t)v;
        memcpy(p + 2 * idx, &s, 2);
        break;
    }
    case VSQ_PSCALE_F16: {
        uint16_t s = vsq_f32_to_f16((float)v);
        memcpy(p + 2 * idx, &s, 2);
        break;
    }
    default: {
        float f = (float)v;
        memcpy(p + 4 * idx, &f, 4);
    }
    }
}

static int container_bits(int bits) { return bits <= 3 ? 3 : bits <= 4 ? 4 : bits <= 6 ? 6 : 8; }

/* Validate a weight/activation format for the packed kernels. */
static vsq_status check_fmt(const vsq_format *f, const char *who) {
    if (vsq_format_check(f)) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", vsq_last_error());
        return vsq_error(VSQ_EINVAL, "%s: %s", who, msg);
    }
    if (f->gran != VSQ_GRAN_VECTOR)
        return vsq_error(VSQ_EUNSUPPORTED, "%s: packed kernels need a per-vector format (vV)", who);
    if (f->vec_len != 16 && f->vec_len != 32 && f->vec_len != 64)
        return vsq_error(VSQ_EUNSUPPORTED, "%s: packed kernels support V in {16,32,64}, not %d",
                         who, f->vec_len);
    if (f->bits < 2 || f->bits > 8)
        return vsq_error(VSQ_EINVAL, "%s: element bits %d out of 2..8", who, f->bits);
    if (f->scale == VSQ_SCALE_TWO_LEVEL && (f->scale_bits < 1 || f->scale_bits > 16))
        return vsq_error(VSQ_EINVAL, "%s: scale bits %d out of 1..16", who, f->scale_bits);
    return VSQ_OK;
}

void vsq_packed_w_free(vsq_packed_w *p) {
    if (!p) return;
    free(p->data);
    free(p->gamma);
    memset(p, 0, sizeof *p);
}

/* Allocate and fill the layout description; zero: clear the data (callers
 * that write every byte of it pass 0). */
static vsq_status w_alloc(const vsq_format *fmt, size_t n, size_t k, vsq_packed_w *p, int zero) {
    memset(p, 0, sizeof *p);
    vsq_status st = check_fmt(fmt, "pack weights");
    if (st) return st;
    if (n == 0 || k == 0) return vsq_error(VSQ_EINVAL, "pack weights: empty matrix %zu x %zu", n, k);
    p->fmt = *fmt;
    p->n = n;
    p->k = k;
    p->kp = (k + VSQK_CHUNK - 1) / VSQK_CHUNK * VSQK_CHUNK;
    p->n_panels = (n + VSQK_NR - 1) / VSQK_NR;
    p->vec_len = fmt->vec_len;
    p->cbits = container_bits(fmt->bits);
    p->off = fmt->elem == VSQ_ELEM_UINT ? 0 : 1 << (p->cbits - 1);
    p->two_level = fmt->scale == VSQ_SCALE_TWO_LEVEL;
    p->stype = p->two_level ? (fmt->scale_bits <= 8 ? VSQ_PSCALE_U8 : VSQ_PSCALE_U16)
               : fmt->scale == VSQ_SCALE_FP16 ? VSQ_PSCALE_F16
                                              : VSQ_PSCALE_F32;
    p->code_bytes = (size_t)8 * p->cbits;
    p->chunk_bytes = VSQK_NR * p->code_bytes +
                     (size_t)(VSQK_CHUNK / p->vec_len) * VSQK_NR * vsqk_scale_size(p->stype);
    p->panel_bytes = p->kp / VSQK_CHUNK * p->chunk_bytes;
    size_t bytes, n_gamma;
    if (vsq_mul_size(p->n_panels, p->panel_bytes, &bytes) || bytes > SIZE_MAX - 64 ||
        vsq_mul_size(p->n_panels * VSQK_NR, sizeof *p->gamma, &n_gamma)) {
        memset(p, 0, sizeof *p);
        return vsq_error(VSQ_EINVAL, "pack weights: %zu x %zu overflows the size arithmetic", n, k);
    }
    p->data = aligned_alloc(64, (bytes + 63) / 64 * 64);
    p->gamma = malloc(p->n_panels * VSQK_NR * sizeof *p->gamma);
    if (!p->data || !p->gamma) {
        vsq_packed_w_free(p);
        return vsq_error(VSQ_ENOMEM, "pack weights: out of memory (%zu bytes)", bytes);
    }
    if (zero) memset(p->data, 0, bytes);
    for (size_t r = 0; r < p->n_panels * VSQK_NR; r++) p->gamma[r] = p->two_level ? 0.0f : 1.0f;
    return VSQ_OK;
}

/* Fill rows from int16 codes (row stride ldc) and per-vector scales
 * (row stride lds; value = integer sq or float scale). */
static vsq_status w_fill(vsq_packed_w *p, const int16_t *codes, size_t ldc, const double *scl,
                         size_t lds) {
    size_t nv_real = (p->k + p->vec_len - 1) / p->vec_len;
    size_t vpc = VSQK_CHUNK / p->vec_len, ssz = vsqk_scale_size(p->stype);
    int lim = 1 << p->cbits;
    for (size_t r = 0; r < p->n; r++) {
        uint8_t *panel = p->data + (r / VSQK_NR) * p->panel_bytes;
        size_t rr = r % VSQK_NR;
        for (size_t c = 0; c < p->kp / VSQK_CHUNK; c++) {
            uint8_t u[64];
            for (int e = 0; e < 64; e++) {
                size_t col = c * VSQK_CHUNK + e;
                int v = col < p->k ? codes[r * ldc + col] : 0;
                int uu = v + p->off;
                if (uu < 0 || uu >= lim)
                    return vsq_error(VSQ_EINVAL, "pack: code %d at (%zu, %zu) does not fit %d bits",
                                     v, r, col, p->fmt.bits);
                if (abs(v) > p->max_code) p->max_code = abs(v);
                u[e] = (uint8_t)uu;
            }
            uint8_t *ch = panel + c * p->chunk_bytes;
            vsqk_pack_chunk(u, p->cbits, ch + rr * p->code_bytes);
            uint8_t *sp = ch + VSQK_NR * p->code_bytes;
            for (size_t j = 0; j < vpc; j++) {
                size_t vj = c * vpc + j;
                double s = vj < nv_real ? scl[r * lds + vj] : 0.0;
                if (p->two_level && s > p->max_scale) p->max_scale = (uint32_t)s;
                scale_put(sp, p->stype, j * VSQK_NR + rr, s);
            }
            (void)ssz;
        }
    }
    return VSQ_OK;
}

vsq_status vsq_pack_weights(const vsq_qtensor *w, vsq_packed_w *out) {
    if (!w || !out || !w->codes) return vsq_error(VSQ_EINVAL, "pack weights: null argument");
    vsq_status st = vsq_qtensor_check(w);
    if (st) return st;
    st = w_alloc(&w->fmt, w->rows, w->cols, out, 1);
    if (st) return st;
    size_t nv = w->n_vec;
    double *s = malloc(w->rows * nv * sizeof *s);
    if (!s) {
        vsq_packed_w_free(out);
        return vsq_error(VSQ_ENOMEM, "pack weights: out of memory");
    }
    for (size_t i = 0; i < w->rows * nv; i++) s[i] = out->two_level ? w->sq[i] : w->scale[i];
    st = w_fill(out, w->codes, w->cols, s, nv);
    free(s);
    if (st) {
        vsq_packed_w_free(out);
        return st;
    }
    if (out->two_level)
        for (size_t r = 0; r < w->rows; r++)
            out->gamma[r] = w->gamma[w->fmt.coarse_per_tensor ? 0 : r / (w->rows / w->channels)];
    return VSQ_OK;
}

vsq_status vsq_unpack_weights(const vsq_packed_w *p, int16_t *codes, uint16_t *sq, float *scale) {
    if (!p || !p->data) return vsq_error(VSQ_EINVAL, "unpack weights: null argument");
    if (sq && !p->two_level)
        return vsq_error(VSQ_EINVAL, "unpack weights: integer scales asked of a single-level format");
    size_t nv = (p->k + p->vec_len - 1) / p->vec_len, vpc = VSQK_CHUNK / p->vec_len;
    for (size_t r = 0; r < p->n; r++) {
        const uint8_t *panel = p->data + (r / VSQK_NR) * p->panel_bytes;
        size_t rr = r % VSQK_NR;
        for (size_t c = 0; c < p->kp / VSQK_CHUNK; c++) {
            const uint8_t *ch = panel + c * p->chunk_bytes;
            uint8_t u[64];
            vsqk_unpack_chunk(ch + rr * p->code_bytes, p->cbits, u);
            for (int e = 0; e < 64; e++) {
                size_t col = c * VSQK_CHUNK + e;
                if (col < p->k && codes) codes[r * p->k + col] = (int16_t)(u[e] - p->off);
            }
            for (size_t j = 0; j < vpc; j++) {
                size_t vj = c * vpc + j;
                if (vj >= nv) break;
                double s = vsqk_scale_get(ch + VSQK_NR * p->code_bytes, p->stype, j * VSQK_NR + rr);
                if (sq) sq[r * nv + vj] = (uint16_t)s;
                if (scale) scale[r * nv + vj] = p->two_level ? (float)s * p->gamma[r] : (float)s;
            }
        }
    }
    return VSQ_OK;
}

vsq_status vsq_dequantize_packed(const vsq_packed_w *p, float *y) {
    if (!p || !p->data || !y) return vsq_error(VSQ_EINVAL, "dequantize packed: null argument");
    size_t nv = (p->k + p->vec_len - 1) / p->vec_len;
    int16_t *codes = malloc(p->n * p->k * sizeof *codes);
    float *s = malloc(p->n * nv * sizeof *s);
    vsq_status st = VSQ_OK;
    if (!codes || !s) st = vsq_error(VSQ_ENOMEM, "dequantize packed: out of memory");
    if (!st) st = vsq_unpack_weights(p, codes, NULL, s);
    if (!st)
        for (size_t r = 0; r < p->n; r++)
            for (size_t c = 0; c < p->k; c++)
                y[r * p->k + c] = (float)codes[r * p->k + c] * s[r * nv + c / p->vec_len];
    free(codes);
    free(s);
    return st;
}

/* ---- activations ------------------------------------------------------- */

/* cap counts code elements; scale holds cap/16 doubles (V >= 16) and gamma
 * cap/64 floats (one per row of at least one 64-element chunk). */
vsq_status vsq_packed_a_reserve(vsq_packed_a *p, size_t m, size_t kp) {
    size_t need, bytes;
    if (!p) return vsq_error(VSQ_EINVAL, "activations: null argument");
    if (m == 0 || kp == 0 || kp % VSQK_CHUNK)
        return vsq_error(VSQ_EINVAL, "activations: %zu x %zu is empty or K not padded to %d", m, kp,
                         VSQK_CHUNK);
    if (vsq_mul_size(m, kp, &need) || vsq_mul_size(need, sizeof(double), &bytes))
        return vsq_error(VSQ_EINVAL, "activations: %zu x %zu overflows the size arithmetic", m, kp);
    if (p->codes && need <= p->cap) return VSQ_OK;
    vsq_packed_a_free(p);
    p->codes = aligned_alloc(64, (need * sizeof(int16_t) + 63) / 64 * 64);
    p->scale = malloc(need / 16 * sizeof(double));
    p->gamma = malloc(need / 64 * sizeof(float));
    p->cap = need;
    if (!p->codes || !p->scale || !p->gamma) {
        vsq_packed_a_free(p);
        return vsq_error(VSQ_ENOMEM, "activations: out of memory for %zu x %zu", m, kp);
    }
    return VSQ_OK;
}

void vsq_packed_a_free(vsq_packed_a *p) {
    if (!p) return;
    free(p->codes);
    free(p->scale);
    free(p->gamma);
    memset(p, 0, sizeof *p);
}

/* Shape the buffers of p for m x k in fmt (reusing allocations). */
vsq_status vsqk_a_shape(const vsq_format *fmt, size_t m, size_t k, vsq_packed_a *p) {
    vsq_status st = check_fmt(fmt, "activations");
    if (st) return st;
    if (m == 0 || k == 0) return vsq_error(VSQ_EINVAL, "activations: empty matrix %zu x %zu", m, k);
    size_t kp = (k + VSQK_CHUNK - 1) / VSQK_CHUNK * VSQK_CHUNK, nv = kp / fmt->vec_len;
    st = vsq_packed_a_reserve(p, m, kp);
    if (st) return st;
    p->fmt = *fmt;
    p->m = m;
    p->k = k;
    p->kp = kp;
    p->vec_len = fmt->vec_len;
    p->n_vec = nv;
    p->two_level = fmt->scale == VSQ_SCALE_TWO_LEVEL;
    p->max_code = 0;
    p->max_scale = 0;
    return VSQ_OK;
}

vsq_status vsq_pack_act(const vsq_qtensor *a, vsq_packed_a *out) {
    if (!a || !out || !a->codes) return vsq_error(VSQ_EINVAL, "pack activations: null argument");
    memset(out, 0, sizeof *out);
    vsq_status st = vsq_qtensor_check(a);
    if (st) return st;
    st = vsqk_a_shape(&a->fmt, a->rows, a->cols, out);
    if (st) return st;
    size_t nvr = a->n_vec;
    for (size_t i = 0; i < a->rows; i++) {
        for (size_t c = 0; c < out->kp; c++) {
            int v = c < a->cols ? a->codes[i * a->cols + c] : 0;
            if (abs(v) > out->max_code) out->max_code = abs(v);
            out->codes[i * out->kp + c] = (int16_t)v;
        }
        for (size_t j = 0; j < out->n_vec; j++) {
            double s = 0.0;
            if (j < nvr) s = out->two_level ? (double)a->sq[i * nvr + j] : (double)a->scale[i * nvr + j];
            if (out->two_level && s > out->max_scale) out->max_scale = (uint32_t)s;
            out->scale[i * out->n_vec + j] = s;
        }
        out->gamma[i] = out->two_level
                            ? a->gamma[a->fmt.coarse_per_tensor ? 0 : i / (a->rows / a->channels)]
                            : 1.0f;
    }
    return VSQ_OK;
}

/* ---- fused fp32 -> packed weights ----------------------------------------- */

int vsqk_fast_fmt(const vsq_format *f); /* quantize_row.c */

/* The reference (and the VSQ_ISA=ref path): the plain-C row quantizer's
 * int16 codes and double scales, then the scalar per-element pack. The
 * fused AVX2 path below must reproduce its bytes exactly. */
vsq_status vsqk_quantize_pack_weights_ref(const vsq_format *fmt, const float *x, size_t n,
                                          size_t k, vsq_packed_w *out) {
    if (!fmt || !x || !out) return vsq_error(VSQ_EINVAL, "quantize weights: null argument");
    if (!vsqk_fast_fmt(fmt)) { /* general path: reference quantizer then pack */
        vsq_qtensor q;
        vsq_status st = vsq_quantize(fmt, x, n, k, n, &q);
        if (st) return st;
        st = vsq_pack_weights(&q, out);
        vsq_qtensor_free(&q);
        return st;
    }
    vsq_status st = vsq_check_finite(x, n * k, "quantize weights input");
    if (st || (st = w_alloc(fmt, n, k, out, 1))) return st;
    size_t nv = out->kp / out->vec_len;
    int bad = 0;
#pragma omp parallel
    {
        int16_t *codes = malloc(out->kp * sizeof *codes);
        double *s = malloc(nv * sizeof *s);
        if (!codes || !s) {
#pragma omp atomic write
            bad = 1;
        }
#pragma omp for schedule(static)
        for (size_t p = 0; p < out->n_panels; p++) {
            if (!codes || !s) continue;
            for (size_t rr = 0; rr < VSQK_NR && p * VSQK_NR + rr < n; rr++) {
                size_t r = p * VSQK_NR + rr;
                int mc;
                uint32_t ms;
                vsqk_quantize_row_ref(fmt, x + r * k, k, out->kp, codes, s, &out->gamma[r], &mc,
                                      &ms);
                uint8_t *panel = out->data + p * out->panel_bytes;
                for (size_t c = 0; c < out->kp / VSQK_CHUNK; c++) {
                    uint8_t u[64];
                    for (int e = 0; e < 64; e++) u[e] = (uint8_t)(codes[c * 64 + e] + out->off);
                    uint8_t *ch = panel + c * out->chunk_bytes;
                    vsqk_pack_chunk(u, out->cbits, ch + rr * out->code_bytes);
                    size_t vpc = VSQK_CHUNK / out->vec_len;
                    for (size_t j = 0; j < vpc; j++)
                        scale_put(ch + VSQK_NR * out->code_bytes, out->stype, j * VSQK_NR + rr,
                                  s[c * vpc + j]);
                }
#pragma omp critical(vsqk_max)
                {
                    if (mc > out->max_code) out->max_code = mc;
                    if (ms > out->max_scale) out->max_scale = ms;
                }
            }
        }
        free(codes);
        free(s);
    }
    if (bad) {
        vsq_packed_w_free(out);
        return vsq_error(VSQ_ENOMEM, "quantize weights: out of memory");
    }
    return VSQ_OK;
}

/* Zero rows rr0..3 of a panel (codes and scales): the fast path skips
 * clearing the whole buffer, and padding rows read as zero bytes. */
static void zero_pad_rows(const vsq_packed_w *p, uint8_t *panel, size_t rr0) {
    size_t vpc = VSQK_CHUNK / p->vec_len, ssz = vsqk_scale_size(p->stype);
    for (size_t c = 0; c < p->kp / VSQK_CHUNK; c++) {
        uint8_t *ch = panel + c * p->chunk_bytes, *sp = ch + VSQK_NR * p->code_bytes;
        for (size_t rr = rr0; rr < VSQK_NR; rr++) {
            memset(ch + rr * p->code_bytes, 0, p->code_bytes);
            for (size_t j = 0; j < vpc; j++) memset(sp + (j * VSQK_NR + rr) * ssz, 0, ssz);
        }
    }
}

/* One panel on the fused AVX2 path; returns 1 on a non-finite input. */
static int qpack_panel(vsqk_qpack_row_fn qrow, vsq_packed_w *out, const float *x, size_t p,
                       void *work, int *mc, uint32_t *ms) {
    uint8_t *panel = out->data + p * out->panel_bytes;
    size_t n = out->n, k = out->k, rr = 0;
    for (; rr < VSQK_NR && p * VSQK_NR + rr < n; rr++) {
        size_t r = p * VSQK_NR + rr;
        int c;
        uint32_t s;
        const float *next = r + 1 < n ? x + (r + 1) * k : NULL;
        if (qrow(out, x + r * k, next, rr, panel, work, &out->gamma[r], &c, &s))
            return 1;
        if (c > *mc) *mc = c;
        if (s > *ms) *ms = s;
    }
    if (rr < VSQK_NR) zero_pad_rows(out, panel, rr);
    return 0;
}

/* Fused AVX2 path: rows straight to packed bytes (quantize_pack_avx2.c);
 * the finite check rides on the peak pass. */
static vsq_status qpack_fast(vsqk_qpack_row_fn qrow, const vsq_format *fmt, const float *x,
                             size_t n, size_t k, vsq_packed_w *out) {
    vsq_status st = w_alloc(fmt, n, k, out, 0);
    if (st) return st;
    size_t wb = (vsqk_qrow_work_bytes(out->kp, out->vec_len) + 31) / 32 * 32;
    int bad = 0, nonfinite = 0, mc = 0;
    uint32_t ms = 0;
#pragma omp parallel reduction(| : bad, nonfinite) reduction(max : mc, ms)
    {
        void *work = aligned_alloc(32, wb); /* once per thread, reused by every row */
        if (!work) bad = 1;
#pragma omp for schedule(static)
        for (size_t p = 0; p < out->n_panels; p++)
            if (work && !nonfinite) nonfinite = qpack_panel(qrow, out, x, p, work, &mc, &ms);
        free(work);
    }
    out->max_code = mc;
    out->max_scale = ms;
    if (bad || nonfinite) {
        vsq_packed_w_free(out);
        if (bad) return vsq_error(VSQ_ENOMEM, "quantize weights: out of memory");
        st = vsq_check_finite(x, n * k, "quantize weights input"); /* the usual message */
        return st ? st : vsq_error(VSQ_ENONFINITE, "quantize weights input: not finite");
    }
    return VSQ_OK;
}

vsq_status vsq_quantize_pack_weights(const vsq_format *fmt, const float *x, size_t n, size_t k,
                                     vsq_packed_w *out) {
    if (!fmt || !x || !out) return vsq_error(VSQ_EINVAL, "quantize weights: null argument");
    vsqk_qpack_row_fn qrow = vsqk_ops()->qpack_row; /* NULL on ref */
    if (!vsqk_fast_fmt(fmt) || !qrow) return vsqk_quantize_pack_weights_ref(fmt, x, n, k, out);
    return qpack_fast(qrow, fmt, x, n, k, out);
}
