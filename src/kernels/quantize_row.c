/* Fused dynamic per-vector quantization of fp32 rows (eq. 7a-7c; two-level
 * eq. 7e-7h with one gamma per row): the plain-C reference of the row
 * quantizer, the fast-format test and vsq_quantize_act. Bit-identical to
 * vsq_quantize(fmt, x, rows, k, rows, ...) with max calibration. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "isa_table.h"
#include "quant/quant_internal.h"
#include "quantize_pack.h"

vsq_status vsqk_a_shape(const vsq_format *fmt, size_t m, size_t k, vsq_packed_a *p);

int vsqk_fast_fmt(const vsq_format *f) {
    if (f->gran != VSQ_GRAN_VECTOR || f->calib != VSQ_CALIB_MAX) return 0;
    if (f->vec_len != 16 && f->vec_len != 32 && f->vec_len != 64) return 0;
    if (f->bits < 2 || f->bits > 8) return 0;
    if (f->scale == VSQ_SCALE_TWO_LEVEL)
        return f->variant == VSQ_TWOLEVEL_PAPER && !f->coarse_per_tensor && f->scale_bits >= 1 &&
               f->scale_bits <= 16;
    return 1;
}

void vsqk_quantize_row_ref(const vsq_format *fmt, const float *x, size_t k, size_t kp,
                           int16_t *codes, double *scale, float *gamma, int *max_code,
                           uint32_t *max_scale) {
    size_t v = (size_t)fmt->vec_len, nv = (k + v - 1) / v, nvp = kp / v;
    int qmin = vsq_format_qmin(fmt), qmax = vsq_format_qmax(fmt);
    int two = fmt->scale == VSQ_SCALE_TWO_LEVEL, uns = fmt->elem == VSQ_ELEM_UINT;
    float smax = 0.0f;
    for (size_t j = 0; j < nv; j++) { /* eq. 7a, 7b */
        size_t len = j * v + v <= k ? v : k - j * v;
        const float *xv = x + j * v;
        float peak = 0.0f;
        for (size_t i = 0; i < len; i++) { /* uintN: positive peak (as vsq_calib_alpha) */
            float a = uns ? (xv[i] > 0.0f ? xv[i] : 0.0f) : fabsf(xv[i]);
            if (a > peak) peak = a;
        }
        float s;
        if (two) {
            s = peak / (float)vsq_group_qref(fmt, xv, len);
            if (s > smax) smax = s;
        } else {
            s = vsq_single_scale(fmt, xv, len, peak);
        }
        scale[j] = s;
    }
    float g = 1.0f;
    long smax_code = two ? (1L << fmt->scale_bits) - 1 : 0;
    if (two) g = smax / (float)smax_code; /* eq. 7f */
    int mc = 0;
    uint32_t ms = 0;
    for (size_t j = 0; j < nv; j++) {
        size_t len = j * v + v <= k ? v : k - j * v;
        float s = (float)scale[j];
        int16_t *q = codes + j * v;
        if (two) {
            long c = 0;
            if (s > 0.0f && g > 0.0f) {
                c = lroundf(s / g); /* eq. 7g */
                if (c > smax_code) c = smax_code;
                for (size_t i = 0; i < len; i++) q[i] = vsq_quantize_value(x[j * v + i], s, qmin, qmax);
            } else {
                memset(q, 0, len * sizeof *q);
            }
            scale[j] = (double)c;
            if ((uint32_t)c > ms) ms = (uint32_t)c;
        } else {
            for (size_t i = 0; i < len; i++) q[i] = vsq_quantize_value(x[j * v + i], s, qmin, qmax);
        }
        for (size_t i = 0; i < len; i++)
            if (abs(q[i]) > mc) mc = abs(q[i]);
    }
    for (size_t c = k; c < kp; c++) codes[c] = 0;
    for (size_t j = nv; j < nvp; j++) scale[j] = 0.0;
    *gamma = g;
    *max_code = mc;
    *max_scale = ms;
}

vsq_status vsqk_quantize_act_t(const vsq_format *fmt, const float *x, size_t m, size_t k,
                              vsq_packed_a *out, int threads);
vsq_status vsq_quantize_act(const vsq_format *fmt, const float *x, size_t m, size_t k,
                            vsq_packed_a *out) {
    return vsqk_quantize_act_t(fmt, x, m, k, out, 0);
}

/* AVX2: the fused row quantizer with a work buffer per thread; its peak
 * pass also finds NaN/Inf, so the input is read once (on that error `out`
 * is reshaped but its contents are not valid). */
/* Rows r0..r1-1 with a work buffer; returns 1 on a non-finite input. */
static int act_rows(vsqk_qact_row_fn qact, const vsq_format *fmt, const float *x, size_t m,
                    size_t k, vsq_packed_a *out, size_t r0, size_t r1, void *work, int *mc,
                    uint32_t *ms) {
    for (size_t i = r0; i < r1; i++) {
        int c = 0;
        uint32_t s = 0;
        const float *next = i + 1 < m ? x + (i + 1) * k : NULL;
        if (qact(fmt, x + i * k, next, k, out->kp, out->codes + i * out->kp,
                               out->scale + i * out->n_vec, &out->gamma[i], &c, &s, work))
            return 1;
        if (c > *mc) *mc = c;
        if (s > *ms) *ms = s;
    }
    return 0;
}

/* AVX2: the fused row quantizer with a work buffer per thread (a kept
 * thread scratch buffer when small); its peak pass also finds NaN/Inf, so
 * the input is read once (on that error `out` is reshaped but its
 * contents are not valid). One thread runs without an OpenMP region. */
static vsq_status act_fast(vsqk_qact_row_fn qact, const vsq_format *fmt, const float *x,
                           size_t m, size_t k, vsq_packed_a *out, int nt) {
    size_t wb = (vsqk_qrow_work_bytes(out->kp, out->vec_len) + 31) / 32 * 32;
    int mc = 0, bad = 0, nonfinite = 0;
    uint32_t ms = 0;
    if (nt <= 1) {
        void *work = vsqk_tls_buffer(VSQK_TLS_QROW, wb), *owned = NULL;
        if (!work) work = owned = aligned_alloc(32, wb);
        if (!work) bad = 1;
        else nonfinite = act_rows(qact, fmt, x, m, k, out, 0, m, work, &mc, &ms);
        free(owned);
    } else {
#pragma omp parallel num_threads(nt) reduction(max : mc, ms) reduction(| : bad, nonfinite)
        {
            void *work = vsqk_tls_buffer(VSQK_TLS_QROW, wb), *owned = NULL;
            if (!work) work = owned = aligned_alloc(32, wb);
            if (!work) bad = 1;
#pragma omp for schedule(static)
            for (size_t i = 0; i < m; i++)
                if (work && !nonfinite)
                    nonfinite = act_rows(qact, fmt, x, m, k, out, i, i + 1, work, &mc, &ms);
            free(owned);
        }
    }
    if (bad) return vsq_error(VSQ_ENOMEM, "activations: out of memory");
    if (nonfinite) {
        vsq_status st = vsq_check_finite(x, m * k, "activations"); /* the usual message */
        return st ? st : vsq_error(VSQ_ENONFINITE, "activations: not finite");
    }
    out->max_code = mc;
    out->max_scale = ms;
    return VSQ_OK;
}

vsq_status vsqk_quantize_act_t(const vsq_format *fmt, const float *x, size_t m, size_t k,
                              vsq_packed_a *out, int threads) {
    if (!fmt || !x || !out) return vsq_error(VSQ_EINVAL, "quantize activations: null argument");
    vsq_status st;
    if (!vsqk_fast_fmt(fmt)) {
        vsq_qtensor q;
        if ((st = vsq_quantize(fmt, x, m, k, m, &q))) return st;
        vsq_packed_a_free(out);
        st = vsq_pack_act(&q, out);
        vsq_qtensor_free(&q);
        return st;
    }
    int nt = threads > 0 ? threads : omp_get_max_threads();
    if (m * k < (1u << 16) || m < 2) nt = 1;
    const vsqk_isa_ops *ops = vsqk_ops();
    if (ops->qact_row) {
        if ((st = vsqk_a_shape(fmt, m, k, out))) return st;
        return act_fast(ops->qact_row, fmt, x, m, k, out, nt);
    }
    if ((st = vsq_check_finite(x, m * k, "activations")) || (st = vsqk_a_shape(fmt, m, k, out)))
        return st;
    vsqk_qrow_fn qrow = ops->qrow;
    int mc = 0;
    uint32_t ms = 0;
#pragma omp parallel for schedule(static) reduction(max : mc, ms) num_threads(nt)
    for (size_t i = 0; i < m; i++) {
        int c;
        uint32_t s;
        qrow(fmt, x + i * k, k, out->kp, out->codes + i * out->kp, out->scale + i * out->n_vec,
             &out->gamma[i], &c, &s);
        if (c > mc) mc = c;
        if (s > ms) ms = s;
    }
    out->max_code = mc;
    out->max_scale = ms;
    return VSQ_OK;
}
