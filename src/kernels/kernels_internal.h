/* Internal helpers shared by the kernel files (src/kernels/). */
#ifndef VSQ_KERNELS_INTERNAL_H
#define VSQ_KERNELS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "vsq/kernels.h"

#define VSQK_CHUNK 64 /* elements per chunk along K */
#define VSQK_NR 4     /* output rows per panel */

static inline size_t vsqk_scale_size(vsq_pscale t) {
    return t == VSQ_PSCALE_U8 ? 1 : t == VSQ_PSCALE_F32 ? 4 : 2;
}

/* Pack / unpack the 64 unsigned codes of one row chunk (cb bits each). */
void vsqk_pack_chunk(const uint8_t u[64], int cb, uint8_t *dst);
void vsqk_unpack_chunk(const uint8_t *src, int cb, uint8_t u[64]);

/* Value of stored scale number idx at p (integer value or float). */
double vsqk_scale_get(const uint8_t *p, vsq_pscale t, size_t idx);

/* Activation rows prepared once per GEMV call for the int8 dot path
 * (vpmaddubsw on the unsigned stored weight codes u = code + off):
 *   c8[i*kp + e]      the code as int8;
 *   corr[i*kp/2 + t]  AVX2: -off * (c8[2t] + c8[2t+1]): added to the
 *                     pairwise u*a sums, it turns them into code*a sums;
 *   corr4[i*kp/4 + l] AVX-512, AVX-VNNI: -off * (sum of c8[4l..4l+3]), the starting
 *                     value of each vpdpbusd lane, for the same reason;
 *   sap[i*kp/4 + l]   per chunk, 16 int32 lanes: the integer scale sa of
 *                     the vector that lane l's 4 elements belong to;
 *   ctl[r][h]         vpshufb controls that spread row r's scale bytes of
 *                     a chunk over the int16 lanes of half h (elements
 *                     32h..32h+31).
 * Built by gemm.c only when the path is exact (see vsqk_gemv8_prepare):
 * on AVX2 and AVX-VNNI for GEMV shapes (m < 4), on AVX-512 VNNI for GEMV
 * and GEMM. */
typedef struct {
    int8_t *c8;
    int16_t *corr;
    int32_t *corr4;
    int32_t *sap;
    uint8_t ctl[4][2][32];
    uint8_t ctl2[2][2][32]; /* per row pair (2p, 2p+1), after vphaddw */
    void *block;            /* the arrays above, in one allocation */
    int owned;              /* 1: block is malloc'ed; 0: a thread scratch buffer */
} vsqk_gemv8;

/* A kernel computes, for one panel of 4 weight rows and activation rows
 * i0..i1-1, the sums out[(i-i0)*4 + r]: int64 when both operands are
 * two-level (exact), else double. `scratch` is a per-thread buffer of
 * vsqk_scratch_bytes() bytes, 64-byte aligned; `g8` is the prepared int8
 * operand (NULL for the kernels that read the int16 codes). */
typedef void (*vsqk_panel_fn)(const vsq_packed_a *a, const vsq_packed_w *w, size_t panel,
                              size_t i0, size_t i1, void *out, void *scratch,
                              const vsqk_gemv8 *g8);
size_t vsqk_scratch_bytes(const vsq_packed_w *w);

void vsqk_panel_ref(const vsq_packed_a *a, const vsq_packed_w *w, size_t panel, size_t i0,
                    size_t i1, void *out, void *scratch, const vsqk_gemv8 *g8);
void vsqk_panel_avx2(const vsq_packed_a *a, const vsq_packed_w *w, size_t panel, size_t i0,
                     size_t i1, void *out, void *scratch, const vsqk_gemv8 *g8);

/* 1 if (a, w) can use the int8 path of `isa` (VSQ_ISA_AVX2 and
 * VSQ_ISA_AVXVNNI: GEMV only; VSQ_ISA_AVX512: GEMV and GEMM) exactly;
 * then fills g (free with
 * vsqk_gemv8_free). Otherwise g is zeroed and 0 is returned. */
int vsqk_gemv8_prepare(const vsq_packed_a *a, const vsq_packed_w *w, vsqk_gemv8 *g, vsq_isa isa);
void vsqk_gemv8_free(vsqk_gemv8 *g);
/* Panels p0..p1-1 x all activation rows (m < 4) on the int8 path:
 * out[i * n_panels * 4 + 4p + r] = exact int64 sums (two-level), or double
 * sums (single-level float scales, AVX2 only). */
void vsqk_gemv8_avx2(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0, size_t p1,
                     void *out, const vsqk_gemv8 *g);
typedef void (*vsqk_gemv8_fn)(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0, size_t p1,
                              void *out, const vsqk_gemv8 *g);

/* AVX-512 VNNI micro-kernels (vnni_avx512.c): the GEMV of vsqk_gemv8_avx2
 * and a GEMM panel kernel (two-level, u8 scales, int8 activations, all
 * weight containers); both need g from vsqk_gemv8_prepare(.., AVX512).
 * The same source compiled against SIMDe (tests/avx512_emu.c) provides
 * the *_avx512emu twins that the tests run on CPUs without AVX-512. */
void vsqk_gemv8_avx512(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0, size_t p1,
                       void *out, const vsqk_gemv8 *g);
void vsqk_panel_avx512(const vsq_packed_a *a, const vsq_packed_w *w, size_t panel, size_t i0,
                       size_t i1, void *out, void *scratch, const vsqk_gemv8 *g8);

/* ---- N-in-lanes int8 GEMM (driver gemm8.c, micro-kernels gemm8_*.c) ----
 * Weights are repacked per activation block into groups of 32 output
 * channels (8 panels); per vector v of a group, VSQK_G8_VBYTES(V) bytes:
 * V/4 K quads x 2 halves x 64 bytes (byte 4c + b of half h of quad q =
 * stored code u of channel 16h + c at element vV + 4q + b), then the 32
 * channels' integer scales sw as int32. Activation blocks hold `rows`
 * (a multiple of MR) rows of int8 codes (stride kp), corr[row][v] =
 * -off * (sum of the row's codes in vector v), sa[row][v] as int64. */
#define VSQK_G8_MR 4
#define VSQK_G8_NR 32
#define VSQK_G8_VBYTES(V) ((size_t)32 * (size_t)(V) + 128)
typedef struct {
    const int8_t *a;
    const int32_t *corr;
    const int64_t *sa;
    size_t rows, kp, nvec;
    int V;
    int mul16; /* 1: every |dot| <= 32767 (and sw <= 32767): dot * sw by vpmaddwd */
    int ua;    /* 1: unsigned activations (uint8, e.g. ReLU outputs) are the u8
                  operand and the weights' signed codes the s8 one (corr = 0) */
} vsqk_g8_ablock;
/* Repack channel group `group` (panels 8 group .. 8 group + 7; missing
 * panels as zero codes and scales) into dst (kp / V * VSQK_G8_VBYTES(V));
 * ua: store the signed codes u - off instead of u (for ablock.ua). */
typedef void (*vsqk_g8_pack_fn)(const vsq_packed_w *w, size_t group, uint8_t *dst, int ua);
/* Where a block's results go: y[r * ldy + j] = (float)(s * ((double)
 * gamma_a[r] * (double)gamma_w[j])) (vsq_gemm_ref's finalization) and,
 * if acc, acc[r * ldy + j] = s, the exact int64 sum, for block rows
 * r < rows and group channels j < cols (pointers at the block's origin). */
typedef struct {
    float *y;
    int64_t *acc;
    size_t ldy, rows, cols;
    const float *gamma_a, *gamma_w;
} vsqk_g8_out;
typedef void (*vsqk_g8_block_fn)(const vsqk_g8_ablock *ab, const uint8_t *b, const vsqk_g8_out *o);
void vsqk_g8_pack_b_avx512(const vsq_packed_w *w, size_t group, uint8_t *dst, int ua);
void vsqk_g8_block_avx512(const vsqk_g8_ablock *ab, const uint8_t *b, const vsqk_g8_out *o);
/* 1 if the int8 GEMM applies to (a, w) exactly: two-level u8/u16 weight
 * scales, activations in int8 (or uint8 with weight codes in int8),
 * V * max|w| * max|a| * max sw < 2^31. */
int vsqk_g8_supported(const vsq_packed_a *a, const vsq_packed_w *w);
/* 1 if (a, w) takes the unsigned-activation form (ablock.ua). */
int vsqk_g8_ua(const vsq_packed_a *a);
/* 1 if every per-vector |dot| <= 32767 and sw <= 32767: the kernels then
 * form dot * sw with vpmaddwd, else with vpmulld. */
int vsqk_g8_mul16(const vsq_packed_a *a, const vsq_packed_w *w);
/* The blocked GEMM on the int8 kernels: y (and acc) as vsq_gemm_packed. */
vsq_status vsqk_g8_gemm(const vsq_packed_a *a, const vsq_packed_w *w, float *y, int64_t *acc,
                        int threads, vsqk_g8_pack_fn pack, vsqk_g8_block_fn block);

/* ---- AVX-512 VNNI GEMV (decode: m < 4), gemv_avx512.c ----
 * The activation side as that kernel reads it, per activation row i:
 *   c8[i*kp + e]     the code as int8;
 *   corr[i*kp/4 + l] -off * (c8[4l] + .. + c8[4l+3]): the start of each
 *                    vpdpbusd lane, which turns sums of u * a (u = code +
 *                    off, the stored weight) into sums of code * a;
 *   sal[i*kp/4 + 16c + l]  the integer scale sa of the vector that lane l
 *                    of chunk c's reduced dots belongs to (the order
 *                    depends on the weight container: vsqk_gemv_lane);
 *   gamma[i]         the row's coarse scale.
 * Built from a vsq_packed_a (vsqk_gemv_act_from_packed) or straight from
 * fp32 rows in one pass (vsqk_gemv_act_quantize: the fused quantizer). */
typedef struct {
    size_t m, kp;
    int8_t *c8;
    int32_t *corr;
    int32_t *sal;
    float *gamma;
    int max_code;
    uint32_t max_scale;
    void *block; /* the arrays above, in one allocation */
    int owned;   /* 1: block is malloc'ed; 0: a thread scratch buffer */
} vsqk_gemv_act;

/* Reduced lane l (0..15) of a chunk holds weight row *row's dot over the
 * 16 elements 16 * *group .. +15 of the chunk (see gemv_avx512.c). */
static inline void vsqk_gemv_lane(int cb, int l, int *row, int *group) {
    int L = l / 4, j = l % 4;
    if (cb == 4) { /* nibble pairs: rows (0,1) and (2,3) share a register */
        *row = 2 * (j / 2) + L / 2;
        *group = L % 2 + 2 * (j % 2);
    } else {
        *row = j;
        *group = L;
    }
}

/* 1 if the AVX-512 GEMV computes (activations with these bounds) x w
 * exactly: two-level u8 weight scales, int8-range activation codes,
 * sa <= 32767 (vpmaddwd forms sw * sa) and int64 sums. */
int vsqk_gemv_a512_ok(const vsq_packed_w *w, const vsq_format *afmt, int vec_len,
                      int max_code_a, uint32_t max_scale_a, size_t n_vec);
int vsqk_gemv_act_from_packed(const vsq_packed_a *a, const vsq_packed_w *w, vsqk_gemv_act *g);
/* Fused: fp32 rows (m x w->k) -> g, bit-identical codes and scales to
 * vsq_quantize (eq. 7a-7h). Returns VSQ_OK, a non-finite error, or
 * VSQ_EUNSUPPORTED when this pair cannot take the path (nothing reported). */
vsq_status vsqk_gemv_act_quantize(const vsq_format *fmt, const float *x, size_t m,
                                  const vsq_packed_w *w, vsqk_gemv_act *g);
void vsqk_gemv_act_free(vsqk_gemv_act *g);
/* Panels p0..p1-1 against every activation row: y[i*n + row] (and acc)
 * finalized as vsq_gemm_ref does. */
void vsqk_gemv_avx512(const vsq_packed_w *w, const vsqk_gemv_act *g, size_t p0, size_t p1,
                      float *y, int64_t *acc);
typedef void (*vsqk_gemv_fn)(const vsq_packed_w *w, const vsqk_gemv_act *g, size_t p0, size_t p1,
                             float *y, int64_t *acc);

/* Row quantizers: one row of k floats -> kp int16 codes (zero padded),
 * per-vector scales (double) and the row's gamma; fmt is a supported
 * fast format (see quantize_row.c). Returns max |code| and max scale. */
typedef void (*vsqk_qrow_fn)(const vsq_format *fmt, const float *x, size_t k, size_t kp,
                             int16_t *codes, double *scale, float *gamma, int *max_code,
                             uint32_t *max_scale);
void vsqk_quantize_row_ref(const vsq_format *fmt, const float *x, size_t k, size_t kp,
                           int16_t *codes, double *scale, float *gamma, int *max_code,
                           uint32_t *max_scale);
void vsqk_quantize_row_avx2(const vsq_format *fmt, const float *x, size_t k, size_t kp,
                            int16_t *codes, double *scale, float *gamma, int *max_code,
                            uint32_t *max_scale);

/* A thread's scratch buffer for `slot` (64-byte aligned, contents not
 * kept between calls), or NULL when bytes > 1 MiB or out of memory: then
 * the caller allocates. Slots: */
enum {
    VSQK_TLS_GEMV_A = 0,
    VSQK_TLS_GEMV_OUT = 1,
    VSQK_TLS_QROW = 2,
    VSQK_TLS_GEMM8 = 3, /* int8 GEMM: activation block, weight group, sums */
    VSQK_TLS_SLOTS = 4
};
void *vsqk_tls_buffer(int slot, size_t bytes);
/* Free the calling thread's buffers now (they are also freed when the
 * thread exits, and the exiting thread's at process exit). */
void vsqk_tls_release(void);
/* Bytes held by all threads' scratch buffers. */
size_t vsqk_tls_live_bytes(void);

/* Register-only peak loops (peak_*.c; call only where the ISA is
 * available, through the kernel tables): return ops done. */
double vsqk_peak_int8_avx2(long iters);
double vsqk_peak_madd16_avx2(long iters);
double vsqk_peak_fma_avx2(long iters);
double vsqk_peak_vnni_avx512(long iters); /* AVX-512 VNNI CPUs only */
float vsqk_read_avx2(const float *a, size_t n); /* n % 512 == 0, a 64-byte aligned */

/* fp32 mat-vec (matvec_f32*.c): one row's fixed-order dot, and rows
 * r0..r1-1 on AVX2 with the same operations in the same order. */
float vsqk_dot8_ref(const float *w, const float *x, size_t cols);
void vsqk_matvec_rows_avx2(const float *w, const float *x, float *y, size_t r0, size_t r1,
                           size_t cols);

#endif
