/* Packed GEMM / GEMV driver: blocks activation rows (MC) so a block stays
 * in L2, and spreads the 4-row weight panels over OpenMP threads; each
 * thread unpacks its panel once per block (amortized over MC rows) into
 * its scratch and runs the micro-kernel of the active ISA. Finalization
 * matches vsq_gemm_ref: y = (float)((double)acc * (gamma_a * gamma_w)). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "isa_table.h"

#define VSQK_MC 96

vsq_status vsqk_quantize_act_t(const vsq_format *fmt, const float *x, size_t m, size_t k,
                              vsq_packed_a *out, int threads);

/* log2 bound of |sum| for the two-level accumulation. */
static double acc_log2(const vsq_packed_a *a, const vsq_packed_w *w) {
    double b = (double)w->vec_len * (w->max_code ? w->max_code : 1) * (a->max_code ? a->max_code : 1) *
               ((double)w->max_scale + 1) * ((double)a->max_scale + 1) * (double)a->n_vec;
    return log2(b);
}

/* Fields of caller-visible packed structs that size loops and buffers, and
 * the accumulator bound: the reference panel sums in int64. */
static vsq_status check_packed(const vsq_packed_a *a, const vsq_packed_w *w) {
    int v = w->vec_len;
    if ((v != 16 && v != 32 && v != 64) || a->m == 0 || w->n == 0 || w->k == 0 ||
        a->kp != w->kp || w->kp % VSQK_CHUNK || w->kp < w->k || a->n_vec != a->kp / (size_t)v ||
        w->n_panels != (w->n + VSQK_NR - 1) / VSQK_NR || a->m * a->kp > a->cap)
        return vsq_error(VSQ_EINVAL, "gemm packed: inconsistent packed operands (V %d, K %zu/%zu)",
                         v, a->kp, w->kp);
    if (a->max_code < 0 || a->max_code > 255 || w->max_code < 0 || w->max_code > 255 ||
        a->max_scale > 65535 || w->max_scale > 65535)
        return vsq_error(VSQ_EINVAL, "gemm packed: code or scale bounds outside 8 / 16 bits");
    if (a->two_level && acc_log2(a, w) >= 63.0)
        return vsq_error(VSQ_EUNSUPPORTED,
                         "gemm packed: sums could reach 2^%.1f, more than int64 holds (K = %zu)",
                         acc_log2(a, w), w->k);
    return VSQ_OK;
}

/* y (and acc) from exact int64 sums: the reference's finalization. */
static void finalize_two(const vsq_packed_a *a, const vsq_packed_w *w, size_t i, size_t row,
                         int64_t s, float *y, int64_t *acc) {
    size_t n = w->n;
    if (acc) acc[i * n + row] = s;
    double f = (double)a->gamma[i] * (double)w->gamma[row];
    y[i * n + row] = (float)((double)s * f);
}

/* The int8 GEMV path: blocks of panels per thread, one kernel call per
 * block (no per-panel scratch or dispatch), then finalization: exact
 * int64 sums (two-level) or double sums (single-level), as the panel loop. */
static vsq_status gemv8_run(const vsq_packed_a *a, const vsq_packed_w *w, const vsqk_gemv8 *g,
                            float *y, int64_t *acc, int nt, vsqk_gemv8_fn kernel) {
    size_t m = a->m, np = w->n_panels, blk = 16, nb = (np + blk - 1) / blk;
    size_t obytes = m * np * VSQK_NR * 8; /* int64 or double sums */
    void *o = vsqk_tls_buffer(VSQK_TLS_GEMV_OUT, obytes), *owned = NULL;
    if (!o) o = owned = malloc(obytes);
    if (!o) return vsq_error(VSQ_ENOMEM, "gemm packed: out of memory for %zu sums", m * np * 4);
    if ((size_t)nt > nb) nt = (int)nb;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (size_t b = 0; b < nb; b++)
        kernel(a, w, b * blk, b * blk + blk < np ? b * blk + blk : np, o, g);
    for (size_t i = 0; i < m; i++)
        for (size_t row = 0; row < w->n; row++) {
            size_t k = i * np * VSQK_NR + row;
            if (w->two_level) {
                finalize_two(a, w, i, row, ((int64_t *)o)[k], y, acc);
            } else {
                if (acc) acc[i * w->n + row] = 0;
                y[i * w->n + row] = (float)((double *)o)[k];
            }
        }
    free(owned);
    return VSQ_OK;
}

/* The streaming GEMV of the table (gemv_a; AVX-512 VNNI: gemv_avx512.c):
 * blocks of 16 panels, contiguous per thread (each thread streams one
 * region of the weights), finalized in the kernel. */
static void gemv_a_run(vsqk_gemv_fn kernel, const vsq_packed_w *w, const vsqk_gemv_act *g,
                       float *y, int64_t *acc, int nt) {
    size_t np = w->n_panels, blk = 16, nb = (np + blk - 1) / blk;
    if ((size_t)nt > nb) nt = (int)nb;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (size_t b = 0; b < nb; b++)
        kernel(w, g, b * blk, b * blk + blk < np ? b * blk + blk : np, y, acc);
}

vsq_status vsq_gemm_packed(const vsq_packed_a *a, const vsq_packed_w *w, float *y, int64_t *acc,
                           int threads) {
    if (!a || !w || !y || !a->codes || !w->data)
        return vsq_error(VSQ_EINVAL, "gemm packed: null argument");
    if (a->k != w->k)
        return vsq_error(VSQ_EINVAL, "gemm packed: activations have K=%zu but weights K=%zu", a->k,
                         w->k);
    if (a->vec_len != w->vec_len)
        return vsq_error(VSQ_EINVAL, "gemm packed: vector lengths differ (activations %d, weights %d)",
                         a->vec_len, w->vec_len);
    if (a->two_level != w->two_level)
        return vsq_error(VSQ_EUNSUPPORTED,
                         "gemm packed: mixing two-level and single-level scales is not supported "
                         "(use vsq_gemm_ref)");
    vsq_status st0 = check_packed(a, w);
    if (st0) return st0;
    int two = a->two_level;
    const vsqk_isa_ops *ops = vsqk_ops();
    vsqk_panel_fn fn = ops->panel;
    /* SIMD kernels sum exact integers in double: need |sum| < 2^53. */
    if (two && fn != vsqk_panel_ref && acc_log2(a, w) >= 52.0) fn = vsqk_panel_ref;
    size_t m = a->m, n = w->n, np = w->n_panels;
    size_t mc = m < VSQK_MC ? m : VSQK_MC;
    size_t sbytes = vsqk_scratch_bytes(w), obytes = mc * VSQK_NR * 8;
    int nt = threads > 0 ? threads : omp_get_max_threads();
    if ((size_t)nt > np * ((m + mc - 1) / mc)) nt = (int)(np * ((m + mc - 1) / mc));
    if (nt < 1) nt = 1;
    /* int8 paths from the kernel table: the int8 panel kernel (m >= 4) or
     * GEMV (m < 4) of the active ISA, else of the next lower one whose
     * exactness rules accept these operands (e.g. AVX2's for fp16 scales) */
    vsqk_gemv8 g8;
    const vsqk_gemv8 *g8p = NULL;
    /* GEMM: the table's blocked int8 driver (exact int64 sums, so also where
     * the double-sum kernels would not be) */
    if (m >= 4 && ops->gemm8 && vsqk_g8_supported(a, w))
        return vsqk_g8_gemm(a, w, y, acc, threads, ops->gemm8_pack, ops->gemm8);
    /* GEMV: the table's streaming GEMV on the fused activation layout */
    if (m < 4 && fn != vsqk_panel_ref && ops->gemv_a) {
        vsqk_gemv_act ga;
        if (vsqk_gemv_act_from_packed(a, w, &ga)) {
            gemv_a_run(ops->gemv_a, w, &ga, y, acc, nt);
            vsqk_gemv_act_free(&ga);
            return VSQ_OK;
        }
    }
    for (const vsqk_isa_ops *o = ops; o && fn != vsqk_panel_ref; o = vsqk_ops_lower(o)) {
        if (m >= 4 && o->panel8 && vsqk_gemv8_prepare(a, w, &g8, o->panel8_isa)) {
            fn = o->panel8;
            g8p = &g8;
            break;
        }
        if (m < 4 && o->gemv8 && vsqk_gemv8_prepare(a, w, &g8, o->gemv8_isa)) {
            vsq_status st = gemv8_run(a, w, &g8, y, acc, nt, o->gemv8);
            vsqk_gemv8_free(&g8);
            return st;
        }
    }
    int bad = 0;
#pragma omp parallel num_threads(nt)
    {
        uint8_t *scratch = aligned_alloc(64, (sbytes + obytes + 63) / 64 * 64);
        if (!scratch) {
#pragma omp atomic write
            bad = 1;
        }
        for (size_t i0 = 0; i0 < m; i0 += mc) {
            size_t i1 = i0 + mc < m ? i0 + mc : m;
#pragma omp for schedule(static)
            for (size_t p = 0; p < np; p++) {
                if (!scratch) continue;
                void *out = scratch + sbytes;
                fn(a, w, p, i0, i1, out, scratch, g8p);
                for (size_t i = i0; i < i1; i++) {
                    for (size_t r = 0; r < VSQK_NR && p * VSQK_NR + r < n; r++) {
                        size_t row = p * VSQK_NR + r, o = (i - i0) * VSQK_NR + r;
                        if (two) {
                            finalize_two(a, w, i, row, ((int64_t *)out)[o], y, acc);
                        } else {
                            if (acc) acc[i * n + row] = 0;
                            y[i * n + row] = (float)((double *)out)[o];
                        }
                    }
                }
            }
        }
        free(scratch);
    }
    if (g8p) vsqk_gemv8_free(&g8);
    if (bad) return vsq_error(VSQ_ENOMEM, "gemm packed: out of memory for scratch");
    return VSQ_OK;
}

vsq_status vsq_linear_q(const vsq_packed_w *w, const vsq_format *afmt, const float *x, size_t m,
                        const float *bias, float *y, int threads, vsq_packed_a *scratch) {
    if (!w || !afmt || !x || !y) return vsq_error(VSQ_EINVAL, "linear: null argument");
    vsqk_gemv_fn gemv_a = vsqk_ops()->gemv_a;
    if (m < 4 && w->data && gemv_a) {
        /* decode: quantize x straight into the GEMV's int8 layout */
        vsqk_gemv_act ga;
        vsq_status st = vsqk_gemv_act_quantize(afmt, x, m, w, &ga);
        if (st != VSQ_EUNSUPPORTED) {
            if (st) return st;
            int nt = threads > 0 ? threads : omp_get_max_threads();
            gemv_a_run(gemv_a, w, &ga, y, NULL, nt < 1 ? 1 : nt);
            vsqk_gemv_act_free(&ga);
            if (bias)
                for (size_t i = 0; i < m; i++)
                    for (size_t r = 0; r < w->n; r++) y[i * w->n + r] += bias[r];
            return VSQ_OK;
        }
    }
    vsq_packed_a local;
    memset(&local, 0, sizeof local);
    vsq_packed_a *a = scratch ? scratch : &local;
    vsq_status st = vsqk_quantize_act_t(afmt, x, m, w->k, a, threads);
    if (!st) st = vsq_gemm_packed(a, w, y, NULL, threads);
    if (!st && bias)
        for (size_t i = 0; i < m; i++)
            for (size_t r = 0; r < w->n; r++) y[i * w->n + r] += bias[r];
    if (!scratch) vsq_packed_a_free(&local);
    return st;
}
