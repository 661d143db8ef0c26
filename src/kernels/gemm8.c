/* Blocked driver of the N-in-lanes int8 GEMM (BLIS style: the algorithm
 * here, the ISA micro-kernels in x86/gemm8_*.c).
 *
 * Work items are (MC activation rows) x (NC = 256 output channels). Per
 * item a thread packs its activation block once (int8 codes, the offset
 * term -off * sum(a) and sa per vector; repacked only when the block
 * changes) and, per group of 32 channels, repacks the weights from the
 * 4-row panel layout into the micro-kernel's order, then runs the block
 * (MR = 4 rows x 32 channels x the whole K, sums in registers). The K loop
 * is not blocked: a group (kp / V * VSQK_G8_VBYTES bytes, 160 KiB at
 * K = 4096) stays in L2 while the block's rows stream over it, and the
 * sums never leave registers. MC is chosen so that the activation block,
 * and one weight group fit one thread scratch buffer
 * (1 MiB, well inside L2), so a call allocates nothing after the first.
 * OpenMP splits the items statically (contiguous items share activation
 * blocks). The micro-kernels finalize as vsq_gemm_ref does:
 * y = (float)((double)acc * ((double)gamma_a * (double)gamma_w)). */
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_internal.h"

#define G8_NC_GROUPS 8   /* 256 channels per work item */
#define G8_MC_MAX 256    /* activation rows per block, at most */
#define G8_BUDGET ((size_t)1 << 20)

static size_t up64(size_t b) { return (b + 63) / 64 * 64; }

int vsqk_g8_ua(const vsq_packed_a *a) {
    return a->fmt.elem == VSQ_ELEM_UINT && a->fmt.bits == 8;
}

int vsqk_g8_supported(const vsq_packed_a *a, const vsq_packed_w *w) {
    if (!a->two_level || !w->two_level) return 0;
    if (w->stype != VSQ_PSCALE_U8 && w->stype != VSQ_PSCALE_U16) return 0;
    if (a->kp != w->kp || a->vec_len != w->vec_len || !a->fmt.bits) return 0;
    if (vsqk_g8_ua(a)) {
        /* uint8 activations are the unsigned vpdpbusd operand, so the
         * weights' codes are the signed one: they must fit int8 */
        if (a->max_code > 255 || w->max_code > 128 || (w->off == 0 && w->max_code > 127)) return 0;
    } else {
        /* activations are the signed vpdpbusd operand: codes must fit int8 */
        if (a->fmt.elem == VSQ_ELEM_UINT ? a->fmt.bits > 7 : a->fmt.bits > 8) return 0;
        if (a->max_code > 128) return 0;
    }
    /* t = dot * sw is formed in int32 */
    double b = (double)w->vec_len * (w->max_code ? w->max_code : 1) *
               (a->max_code ? a->max_code : 1) * (w->max_scale ? w->max_scale : 1);
    return b <= 2147483647.0;
}

int vsqk_g8_mul16(const vsq_packed_a *a, const vsq_packed_w *w) {
    double d = (double)w->vec_len * (w->max_code ? w->max_code : 1) * (a->max_code ? a->max_code : 1);
    return d <= 32767.0 && w->max_scale <= 32767;
}

/* Activation rows i0..i1-1 into the block layout; rows up to `rows`
 * (a multiple of MR) are zero (their sums are discarded). */
static void pack_a(const vsq_packed_a *a, int off, int ua, size_t i0, size_t i1, size_t rows, int8_t *c8,
                   int32_t *corr, int64_t *sa) {
    size_t kp = a->kp, nvec = a->n_vec, v = (size_t)a->vec_len;
    for (size_t r = 0; r < rows; r++) {
        int8_t *d = c8 + r * kp;
        if (i0 + r >= i1) {
            memset(d, 0, kp);
            memset(corr + r * nvec, 0, nvec * sizeof *corr);
            memset(sa + r * nvec, 0, nvec * sizeof *sa);
            continue;
        }
        const int16_t *c = a->codes + (i0 + r) * kp;
        for (size_t e = 0; e < kp; e++) d[e] = (int8_t)(uint8_t)c[e]; /* ua: 0..255 */
        for (size_t j = 0; j < nvec; j++) {
            int32_t s = 0;
            for (size_t e = j * v; e < j * v + v; e++) s += c[e];
            corr[r * nvec + j] = ua ? 0 : -off * s;
            sa[r * nvec + j] = (int64_t)a->scale[(i0 + r) * nvec + j];
        }
    }
}

vsq_status vsqk_g8_gemm(const vsq_packed_a *a, const vsq_packed_w *w, float *y, int64_t *acc,
                        int threads, vsqk_g8_pack_fn pack, vsqk_g8_block_fn block) {
    const size_t m = a->m, n = w->n, kp = a->kp, nvec = a->n_vec;
    const int V = w->vec_len;
    const size_t gbytes = nvec * VSQK_G8_VBYTES(V);
    const size_t rowbytes = kp + nvec * (sizeof(int32_t) + sizeof(int64_t));
    size_t budget = G8_BUDGET > gbytes + 64 * rowbytes ? G8_BUDGET : gbytes + 64 * rowbytes;
    size_t mc = (budget - gbytes - 4 * 64) / rowbytes / VSQK_G8_MR * VSQK_G8_MR;
    size_t mpad = (m + VSQK_G8_MR - 1) / VSQK_G8_MR * VSQK_G8_MR;
    if (mc > G8_MC_MAX) mc = G8_MC_MAX;
    if (mc > mpad) mc = mpad;
    const size_t ngroups = (n + VSQK_G8_NR - 1) / VSQK_G8_NR;
    const size_t nbi = (m + mc - 1) / mc, nbj = (ngroups + G8_NC_GROUPS - 1) / G8_NC_GROUPS;
    const size_t items = nbi * nbj;
    /* scratch: weight group | codes | corr | sa */
    const size_t o_c8 = up64(gbytes), o_corr = o_c8 + up64(mc * kp),
                 o_sa = o_corr + up64(mc * nvec * sizeof(int32_t)),
                 bytes = o_sa + up64(mc * nvec * sizeof(int64_t));
    int nt = threads > 0 ? threads : omp_get_max_threads();
    if ((size_t)nt > items) nt = (int)items;
    if (nt < 1) nt = 1;
    const int mul16 = vsqk_g8_mul16(a, w), ua = vsqk_g8_ua(a);
    int bad = 0;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        uint8_t *buf = vsqk_tls_buffer(VSQK_TLS_GEMM8, bytes), *owned = NULL;
        if (!buf) buf = owned = aligned_alloc(64, bytes);
        if (!buf) {
#pragma omp atomic write
            bad = 1;
        }
        size_t cur = SIZE_MAX;
        vsqk_g8_ablock ab = {0};
#pragma omp for schedule(static)
        for (size_t it = 0; it < items; it++) {
            if (!buf) continue;
            size_t bi = it / nbj, bj = it % nbj;
            size_t i0 = bi * mc, i1 = i0 + mc < m ? i0 + mc : m;
            if (bi != cur) {
                ab = (vsqk_g8_ablock){(int8_t *)(buf + o_c8), (int32_t *)(buf + o_corr),
                                      (int64_t *)(buf + o_sa),
                                      (i1 - i0 + VSQK_G8_MR - 1) / VSQK_G8_MR * VSQK_G8_MR,
                                      kp, nvec, V, mul16, ua};
                pack_a(a, w->off, ua, i0, i1, ab.rows, (int8_t *)ab.a, (int32_t *)ab.corr,
                       (int64_t *)ab.sa);
                cur = bi;
            }
            size_t g1 = (bj + 1) * G8_NC_GROUPS < ngroups ? (bj + 1) * G8_NC_GROUPS : ngroups;
            for (size_t g = bj * G8_NC_GROUPS; g < g1; g++) {
                size_t j0 = g * VSQK_G8_NR;
                vsqk_g8_out o = {y + i0 * n + j0, acc ? acc + i0 * n + j0 : NULL, n, i1 - i0,
                                 n - j0 < VSQK_G8_NR ? n - j0 : VSQK_G8_NR, a->gamma + i0,
                                 w->gamma + j0};
                pack(w, g, buf, ua);
                block(&ab, buf, &o);
            }
        }
        free(owned);
    }
    if (bad) return vsq_error(VSQ_ENOMEM, "gemm packed: out of memory for %zu bytes of scratch", bytes);
    return VSQ_OK;
}
