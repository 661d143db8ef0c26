/* Reference kernels for ggml's Q4_0 / Q4_1 / Q8_0 blocks (ggml_quants.h). */
#include "kernels/ggml_quants.h"
#include "kernels/isa_table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quant/quant_internal.h"
#include "vsq/gguf.h"
#include "vsq/kernels.h"

static float f16_at(const uint8_t *p) { return vsq_f16_to_f32((uint16_t)(p[0] | p[1] << 8)); }
static void put_f16(uint8_t *p, float f) {
    uint16_t h = vsq_f32_to_f16(f);
    p[0] = (uint8_t)h;
    p[1] = (uint8_t)(h >> 8);
}

/* One 32-block: fp16 d = amax/127, codes x * (127/amax) rounded to
 * nearest, ties to even (as ggml's x86 SIMD quantizer does: the codes then
 * match the ones llama.cpp computes on these CPUs). *d_out = the unrounded
 * d; returns the sum of the codes. */
static int quantize_block_q8(const float *x, uint8_t *b, float *d_out) {
    float amax = 0.0f;
    for (int j = 0; j < GGML_QK; j++) amax = fmaxf(amax, fabsf(x[j]));
    float d = amax / 127.0f, id = amax != 0.0f ? 127.0f / amax : 0.0f;
    put_f16(b, d);
    int sum = 0;
    for (int j = 0; j < GGML_QK; j++) {
        int q = (int)nearbyintf(x[j] * id);
        b[4 + j] = (uint8_t)(int8_t)q;
        sum += q;
    }
    *d_out = d;
    return sum;
}

void vsq_quantize_row_q8_1(const float *x, uint8_t *dst, size_t n) {
    for (size_t i = 0; i < n / GGML_QK; i++) {
        uint8_t *b = dst + i * GGML_Q8_BLOCK_BYTES;
        float d;
        int sum = quantize_block_q8(x + i * GGML_QK, b, &d);
        put_f16(b + 2, d * (float)sum);
    }
}

void vsq_quantize_row_q8_0(const float *x, uint8_t *dst, size_t n) {
    for (size_t i = 0; i < n / GGML_QK; i++) {
        uint8_t *b = dst + i * GGML_Q8_BLOCK_BYTES;
        float d;
        quantize_block_q8(x + i * GGML_QK, b, &d);
        b[2] = b[3] = 0;
    }
}

float vsq_vec_dot_q4_1_q8_1(const uint8_t *w, const uint8_t *a, size_t n) {
    float sum = 0.0f;
    for (size_t i = 0; i < n / GGML_QK; i++, w += 20, a += GGML_Q8_BLOCK_BYTES) {
        const int8_t *qa = (const int8_t *)(a + 4);
        int isum = 0;
        for (int j = 0; j < 16; j++)
            isum += (w[4 + j] & 15) * qa[j] + (w[4 + j] >> 4) * qa[j + 16];
        sum += f16_at(w) * f16_at(a) * (float)isum + f16_at(w + 2) * f16_at(a + 2);
    }
    return sum;
}

float vsq_vec_dot_q8_0_q8_0(const uint8_t *w, const uint8_t *a, size_t n) {
    float sum = 0.0f;
    for (size_t i = 0; i < n / GGML_QK; i++, w += 34, a += GGML_Q8_BLOCK_BYTES) {
        const int8_t *qw = (const int8_t *)(w + 2), *qa = (const int8_t *)(a + 4);
        int isum = 0;
        for (int j = 0; j < GGML_QK; j++) isum += qw[j] * qa[j];
        sum += f16_at(w) * f16_at(a) * (float)isum;
    }
    return sum;
}

/* The block dots come from the active kernel table (the AVX2 ones on
 * every x86 table, VSQ_ISA=ref the reference). */

int vsq_ggml_matvec(int type, const uint8_t *w, const float *x, float *y, size_t rows, size_t n,
                    uint8_t *aq, int threads) {
    size_t row_bytes;
    float (*dot)(const uint8_t *, const uint8_t *, size_t);
    if (type == VSQ_GGML_Q4_1) {
        vsq_quantize_row_q8_1(x, aq, n);
        row_bytes = n / GGML_QK * 20;
        dot = vsqk_ops()->vec_dot_q4_1_q8_1;
    } else if (type == VSQ_GGML_Q8_0) {
        vsq_quantize_row_q8_0(x, aq, n);
        row_bytes = n / GGML_QK * 34;
        dot = vsqk_ops()->vec_dot_q8_0_q8_0;
    } else if (type == VSQ_GGML_Q4_0) {
        vsq_quantize_row_q8_0(x, aq, n);
        row_bytes = n / GGML_QK * GGML_Q4_0_BLOCK_BYTES;
        dot = vsqk_ops()->vec_dot_q4_0_q8_0;
    } else {
        return -1;
    }
    if (threads <= 0) threads = 1;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && rows * n >= (1u << 18))
    for (size_t r = 0; r < rows; r++) y[r] = dot(w + r * row_bytes, aq, n);
    return 0;
}

/* Q4_0 x Q8_0 (ggml pairs Q4_0 weights with Q8_0 activations): a Q4_0
 * block is fp16 d and 32 4-bit codes, element j in the low nibble of byte j
 * and element j+16 in its high nibble, value d (q - 8). The block's integer
 * sum is sum_j (q_w - 8) q_a (|terms| <= 8 x 127), scaled once by
 * d_w d_a: a symmetric per-vector MAC with V = 32 and fp16 scales (paper
 * eq. 5) whose weight grid peaks on -8. */
float vsq_vec_dot_q4_0_q8_0(const uint8_t *w, const uint8_t *a, size_t n) {
    float sum = 0.0f;
    for (size_t i = 0; i < n / GGML_QK; i++, w += GGML_Q4_0_BLOCK_BYTES, a += GGML_Q8_BLOCK_BYTES) {
        const int8_t *qa = (const int8_t *)(a + 4);
        int isum = 0;
        for (int j = 0; j < 16; j++)
            isum += ((w[2 + j] & 15) - 8) * qa[j] + ((w[2 + j] >> 4) - 8) * qa[j + 16];
        sum += f16_at(w) * f16_at(a) * (float)isum;
    }
    return sum;
}
