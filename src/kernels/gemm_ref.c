/* Plain-C reference micro-kernel on the packed layout: the oracle of the
 * SIMD kernels (and itself tested against vsq_gemm_ref). Same operation
 * order as vsq_gemm_ref: per vector, int32 dot; two-level: int64 sum of
 * dot * (sw * sa); single-level: double sum of dot * sa * sw. */
#include <string.h>

#include "kernels_internal.h"

size_t vsqk_scratch_bytes(const vsq_packed_w *w) {
    /* int16 panel (4 x kp) + double scales (n_vec x 4) */
    size_t b = VSQK_NR * w->kp * sizeof(int16_t) + w->kp / w->vec_len * VSQK_NR * sizeof(double);
    return (b + 63) / 64 * 64 + 64;
}

void vsqk_panel_ref(const vsq_packed_a *a, const vsq_packed_w *w, size_t panel, size_t i0,
                    size_t i1, void *out, void *scratch, const vsqk_gemv8 *g8) {
    (void)g8;
    (void)scratch;
    const uint8_t *pp = w->data + panel * w->panel_bytes;
    size_t v = (size_t)w->vec_len, vpc = VSQK_CHUNK / v, nch = w->kp / VSQK_CHUNK;
    int two = w->two_level && a->two_level;
    int64_t *oi = out;
    double *od = out;
    size_t cnt = (i1 - i0) * VSQK_NR;
    if (two) memset(oi, 0, cnt * sizeof *oi);
    else memset(od, 0, cnt * sizeof *od);
    for (size_t c = 0; c < nch; c++) {
        const uint8_t *ch = pp + c * w->chunk_bytes;
        int16_t wq[VSQK_NR][64];
        double sw[VSQK_NR][4];
        for (int r = 0; r < VSQK_NR; r++) {
            uint8_t u[64];
            vsqk_unpack_chunk(ch + r * w->code_bytes, w->cbits, u);
            for (int e = 0; e < 64; e++) wq[r][e] = (int16_t)(u[e] - w->off);
            for (size_t j = 0; j < vpc; j++)
                sw[r][j] = vsqk_scale_get(ch + VSQK_NR * w->code_bytes, w->stype, j * VSQK_NR + r);
        }
        for (size_t i = i0; i < i1; i++) {
            const int16_t *aq = a->codes + i * a->kp + c * VSQK_CHUNK;
            const double *sa = a->scale + i * a->n_vec + c * vpc;
            for (int r = 0; r < VSQK_NR; r++) {
                for (size_t j = 0; j < vpc; j++) {
                    int32_t dot = 0;
                    for (size_t e = j * v; e < j * v + v; e++) dot += (int32_t)wq[r][e] * aq[e];
                    size_t o = (i - i0) * VSQK_NR + r;
                    if (two)
                        oi[o] += (int64_t)dot * (int64_t)((uint64_t)sw[r][j] * (uint64_t)sa[j]);
                    else
                        od[o] += (double)dot * sa[j] * sw[r][j];
                }
            }
        }
    }
}
