/* vsq/kernels.h - fast integer kernels on packed VS-Quant tensors.
 *
 * Packed weights (vsq_packed_w): rows are grouped in panels of 4 output
 * channels (zero rows pad the last panel); K is padded with zero codes to
 * a multiple of 64 (kp). A panel is a sequence of 64-element chunks; each
 * chunk holds the 4 rows' codes (container bits cb in {8,6,4,3}, stored as
 * unsigned u = code + off, bit-plane interleaved for SIMD unpacking; see
 * docs/kernels.md) followed by the per-vector scales of those vectors
 * (64/V vectors x 4 rows, vector-major: the 4 rows' scales of one vector
 * are adjacent). Scales are u8/u16 integers (two-level sM) or fp16/fp32
 * (single-level). Coarse fp32 scales (gamma) are kept per output row.
 *
 * Packed activations (vsq_packed_a): int16 codes, m x kp (zero padded),
 * per-vector scales as double (integer value for two-level), gamma per row.
 *
 * Semantics equal vsq_gemm_ref (vsq/mac.h) with round_bits = 0: for
 * two-level x two-level the int64 accumulators are bit-identical and y is
 * (float)(acc * (double)gamma_a * (double)gamma_w); for single-level
 * per-vector scales y agrees within fp32 rounding (sums kept in double).
 *
 * ISA: one algorithm, micro-kernels per ISA chosen at run time from CPUID
 * (a kernel table per ISA, docs/kernels.md); the environment variable
 * VSQ_ISA=ref|avx2|avxvnni|avx512 forces one.
 */
#ifndef VSQ_KERNELS_H
#define VSQ_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include "vsq/error.h"
#include "vsq/format.h"
#include "vsq/quant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Kernel variants. The values are stable (they are not an order of
 * preference: avxvnni ranks between avx2 and avx512). */
typedef enum {
    VSQ_ISA_REF = 0,     /* plain C */
    VSQ_ISA_AVX2 = 1,    /* AVX2 + FMA + F16C + BMI2 */
    VSQ_ISA_AVX512 = 2,  /* AVX-512 F/BW/VL/DQ + VNNI (512-bit vpdpbusd) */
    VSQ_ISA_AVXVNNI = 3  /* AVX2 + AVX-VNNI (256-bit VEX vpdpbusd: Alder Lake, Zen 5, ...) */
} vsq_isa;

const char *vsq_isa_name(vsq_isa isa);
/* 1 if the CPU (and this build) can run that variant. */
int vsq_isa_available(vsq_isa isa);
/* Variant in use: the forced one (vsq_isa_force or VSQ_ISA), else the best. */
vsq_isa vsq_isa_active(void);
/* Force a variant (-1: back to automatic / VSQ_ISA). Fails if unavailable.
 * Visible to every thread (later kernel calls on any thread use it). */
vsq_status vsq_isa_force(int isa);
/* The available variants' names, lowest first, joined by sep, into buf
 * (always terminated when cap > 0); returns the full length. */
size_t vsq_isa_list_available(char *buf, size_t cap, const char *sep);

typedef enum {
    VSQ_PSCALE_U8 = 0,  /* two-level integer scale, M <= 8  */
    VSQ_PSCALE_U16 = 1, /* two-level integer scale, M <= 16 */
    VSQ_PSCALE_F16 = 2, /* single-level fp16                */
    VSQ_PSCALE_F32 = 3  /* single-level fp32 (and e8m0)     */
} vsq_pscale;

typedef struct {
    vsq_format fmt;      /* format the codes came from */
    size_t n, k;         /* output channels, reduction length */
    size_t kp;           /* k rounded up to a multiple of 64 */
    size_t n_panels;     /* ceil(n / 4) */
    int vec_len;         /* V in {16, 32, 64} */
    int cbits;           /* container bits: 8, 6, 4 or 3 */
    int off;             /* stored u = code + off */
    int two_level;       /* 1: integer scales + gamma; 0: float scales */
    vsq_pscale stype;
    size_t code_bytes;   /* one row, one chunk: 8 * cbits */
    size_t chunk_bytes;  /* 4 rows' codes + their scales */
    size_t panel_bytes;
    uint8_t *data;       /* n_panels * panel_bytes, 64-byte aligned */
    float *gamma;        /* n_panels * 4 row factors (1 for single-level) */
    int max_code;        /* largest |code| present (for overflow checks) */
    uint32_t max_scale;  /* largest integer scale (two-level) */
} vsq_packed_w;

typedef struct {
    vsq_format fmt;
    size_t m, k, kp, n_vec; /* n_vec = kp / V */
    int vec_len;
    int two_level;
    int16_t *codes;  /* m * kp */
    double *scale;   /* m * n_vec */
    float *gamma;    /* m */
    int max_code;
    uint32_t max_scale;
    size_t cap;      /* allocated code elements (buffers reused by vsq_quantize_act) */
} vsq_packed_a;

/* Pack a quantized weight matrix (N x K, vectors along K, V in {16,32,64},
 * bits 2..8, any two-level or fp32/fp16/e8m0 per-vector scale). */
vsq_status vsq_pack_weights(const vsq_qtensor *w, vsq_packed_w *out);
/* Unpack back: codes (n*k), and per vector sq (two-level, n*n_vec) or
 * float scales (n*n_vec); either pointer may be NULL. */
vsq_status vsq_unpack_weights(const vsq_packed_w *p, int16_t *codes, uint16_t *sq,
                              float *scale);
/* Dequantize packed weights to float (n*k): code * sq * gamma or code * s. */
vsq_status vsq_dequantize_packed(const vsq_packed_w *p, float *y);
void vsq_packed_w_free(vsq_packed_w *p);

/* Pack already-quantized activations (m x k, vector format). */
vsq_status vsq_pack_act(const vsq_qtensor *a, vsq_packed_a *out);
void vsq_packed_a_free(vsq_packed_a *p);
/* Make p's buffers hold m x kp codes (kp a multiple of 64), reusing them
 * when large enough. */
vsq_status vsq_packed_a_reserve(vsq_packed_a *p, size_t m, size_t kp);

/* Fast fused dynamic activation quantization (eq. 7a-7c, and 7e-7h with
 * one gamma per row for two-level "sM" paper variant, max calibration):
 * bit-identical to vsq_quantize(fmt, x, m, k, m, ...). Other variants
 * (sMr, sMc, @pt, non-max calibration) fall back to vsq_quantize.
 * `out` may be reused across calls (buffers grow as needed). */
vsq_status vsq_quantize_act(const vsq_format *fmt, const float *x, size_t m, size_t k,
                            vsq_packed_a *out);

/* Quantize fp32 weights (n x k, per-row coarse scales: channels = n)
 * straight to the packed layout (fused fast path). */
vsq_status vsq_quantize_pack_weights(const vsq_format *fmt, const float *x, size_t n,
                                     size_t k, vsq_packed_w *out);

/* Y[m][n] = sum_k A[m][k] W[n][k] on packed operands. acc (optional, m*n)
 * receives the int64 accumulators when both are two-level. threads <= 0:
 * OpenMP default. */
vsq_status vsq_gemm_packed(const vsq_packed_a *a, const vsq_packed_w *w, float *y,
                           int64_t *acc, int threads);

/* Inference entry point: quantize x (m x k fp32) dynamically with `afmt`,
 * run the packed GEMM/GEMV, add bias (n, optional). `scratch` (optional)
 * is reused between calls. */
vsq_status vsq_linear_q(const vsq_packed_w *w, const vsq_format *afmt, const float *x,
                        size_t m, const float *bias, float *y, int threads,
                        vsq_packed_a *scratch);

/* fp32 y = W x (W rows x cols, row-major): the float baseline of LLM
 * decode. Fixed summation order (8 partial sums per row over stride-8
 * groups, then the tail), bit-identical for every ISA and thread count;
 * the AVX2 variant streams 4 rows at once. threads <= 0: OpenMP default
 * (used only from 2^18 weights up). */
void vsq_matvec_f32(const float *w, const float *x, float *y, size_t rows, size_t cols,
                    int threads);

#ifdef __cplusplus
}
#endif
#endif
