/* ggml block kernels (src/kernels/ggml_quants.h): Q8_1 / Q8_0 activation
 * quantization against its definition, the Q4_1 x Q8_1, Q8_0 x Q8_0 and
 * Q4_0 x Q8_0 block dot products against a double-precision evaluation of
 * the same integers and scales (Q4_0 also on hand-checked blocks), and the
 * AVX2 versions against the reference. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/ggml_quants.h"
#include "quant/quant_internal.h"
#include "test_util.h"
#include "vsq/gguf.h"
#include "vsq/kernels.h"

enum { N = 32 * 24 };

static double f16d(const uint8_t *p) { return vsq_f16_to_f32((uint16_t)(p[0] | p[1] << 8)); }

static void fill(test_rng *r, float *x, size_t n, float scale) {
    for (size_t i = 0; i < n; i++) x[i] = scale * (float)test_gauss(r);
}

/* random Q4_1 / Q8_0 weight rows with fp16 scales */
static void random_q4_1(test_rng *r, uint8_t *w, size_t n) {
    for (size_t b = 0; b < n / 32; b++, w += 20) {
        uint16_t d = vsq_f32_to_f16(0.01f + 0.05f * (float)test_uniform(r));
        uint16_t m = vsq_f32_to_f16(-0.3f * (float)test_uniform(r));
        w[0] = (uint8_t)d, w[1] = (uint8_t)(d >> 8), w[2] = (uint8_t)m, w[3] = (uint8_t)(m >> 8);
        for (int j = 0; j < 16; j++) w[4 + j] = (uint8_t)(test_uniform(r) * 256.0);
    }
}
static void random_q8_0(test_rng *r, uint8_t *w, size_t n) {
    for (size_t b = 0; b < n / 32; b++, w += 34) {
        uint16_t d = vsq_f32_to_f16(0.001f + 0.01f * (float)test_uniform(r));
        w[0] = (uint8_t)d, w[1] = (uint8_t)(d >> 8);
        for (int j = 0; j < 32; j++) w[2 + j] = (uint8_t)(int8_t)(test_uniform(r) * 255.0 - 127.0);
    }
}

static void random_q4_0(test_rng *r, uint8_t *w, size_t n) {
    for (size_t b = 0; b < n / 32; b++, w += 18) {
        uint16_t d = vsq_f32_to_f16(0.01f + 0.05f * (float)test_uniform(r));
        w[0] = (uint8_t)d, w[1] = (uint8_t)(d >> 8);
        for (int j = 0; j < 16; j++) w[2 + j] = (uint8_t)(test_uniform(r) * 256.0);
    }
}

static void test_quantize_q8_1(void **state) {
    test_rng r = {42};
    float x[N];
    uint8_t q[N / 32 * GGML_Q8_BLOCK_BYTES];
    fill(&r, x, N, 3.0f);
    x[5] = 0.0f;
    for (int j = 32; j < 64; j++) x[j] = 0.0f; /* an all-zero block */
    vsq_quantize_row_q8_1(x, q, N);
    for (int b = 0; b < N / 32; b++) {
        const uint8_t *blk = q + b * GGML_Q8_BLOCK_BYTES;
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[32 * b + j]));
        double d = f16d(blk);
        assert_true(d == vsq_f16_to_f32(vsq_f32_to_f16(amax / 127.0f)));
        long sum = 0;
        for (int j = 0; j < 32; j++) {
            int qa = (int8_t)blk[4 + j];
            assert_true(qa >= -127 && qa <= 127);
            sum += qa;
            /* x * 127/amax rounded to nearest: within half a step */
            if (amax > 0) assert_true(fabs(qa - x[32 * b + j] * 127.0 / amax) <= 0.5 + 1e-4);
        }
        /* s from the unrounded d (ggml's SIMD quantizer) */
        assert_true(f16d(blk + 2) == vsq_f16_to_f32(vsq_f32_to_f16(amax / 127.0f * (float)sum)));
    }
}

static double ref_q4_1(const uint8_t *w, const uint8_t *a, size_t n) {
    double s = 0;
    for (size_t b = 0; b < n / 32; b++, w += 20, a += GGML_Q8_BLOCK_BYTES) {
        long isum = 0;
        for (int j = 0; j < 16; j++)
            isum += (w[4 + j] & 15) * (int8_t)a[4 + j] + (w[4 + j] >> 4) * (int8_t)a[20 + j];
        s += f16d(w) * f16d(a) * (double)isum + f16d(w + 2) * f16d(a + 2);
    }
    return s;
}

static double ref_q8_0(const uint8_t *w, const uint8_t *a, size_t n) {
    double s = 0;
    for (size_t b = 0; b < n / 32; b++, w += 34, a += GGML_Q8_BLOCK_BYTES) {
        long isum = 0;
        for (int j = 0; j < 32; j++) isum += (int8_t)w[2 + j] * (int8_t)a[4 + j];
        s += f16d(w) * f16d(a) * (double)isum;
    }
    return s;
}

static double ref_q4_0(const uint8_t *w, const uint8_t *a, size_t n) {
    double s = 0;
    for (size_t b = 0; b < n / 32; b++, w += 18, a += GGML_Q8_BLOCK_BYTES) {
        long isum = 0;
        for (int j = 0; j < 16; j++)
            isum += ((w[2 + j] & 15) - 8) * (int8_t)a[4 + j] + ((w[2 + j] >> 4) - 8) * (int8_t)a[20 + j];
        s += f16d(w) * f16d(a) * (double)isum;
    }
    return s;
}

/* |terms| bound for the float-rounding tolerance */
static void check_close(double got, double want, double scale) {
    if (fabs(got - want) > 1e-5 * scale + 1e-6)
        fail_msg("got %.9g, want %.9g (scale %.3g)", got, want, scale);
}

static void test_dots(void **state) {
    test_rng r = {7};
    float x[N];
    static uint8_t w4[N / 32 * 20], w8[N / 32 * 34], w40[N / 32 * 18], a1[N / 32 * 36],
        a0[N / 32 * 36];
    for (int trial = 0; trial < 20; trial++) {
        fill(&r, x, N, 1.0f + trial);
        random_q4_1(&r, w4, N);
        random_q8_0(&r, w8, N);
        random_q4_0(&r, w40, N);
        vsq_quantize_row_q8_1(x, a1, N);
        vsq_quantize_row_q8_0(x, a0, N);
        double s4 = ref_q4_1(w4, a1, N), s8 = ref_q8_0(w8, a0, N), s40 = ref_q4_0(w40, a0, N);
        double sc4 = 0, sc8 = 0;
        for (int i = 0; i < N; i++) sc4 += fabs(x[i]), sc8 += fabs(x[i]);
        sc4 *= 1.0, sc8 *= 0.011 * 127;
        check_close(vsq_vec_dot_q4_1_q8_1(w4, a1, N), s4, sc4);
        check_close(vsq_vec_dot_q8_0_q8_0(w8, a0, N), s8, sc8);
        /* Q4_0: |d_w (q - 8)| <= 0.06 x 8 per weight */
        check_close(vsq_vec_dot_q4_0_q8_0(w40, a0, N), s40, sc4 * 0.5);
        /* odd block counts reach the AVX2 kernel's one-block tail */
        check_close(vsq_vec_dot_q4_0_q8_0(w40, a0, N - 32), ref_q4_0(w40, a0, N - 32), sc4 * 0.5);
        if (vsq_isa_available(VSQ_ISA_AVX2)) {
            check_close(vsq_vec_dot_q4_1_q8_1_avx2(w4, a1, N), s4, sc4);
            check_close(vsq_vec_dot_q8_0_q8_0_avx2(w8, a0, N), s8, sc8);
            check_close(vsq_vec_dot_q4_0_q8_0_avx2(w40, a0, N), s40, sc4 * 0.5);
            check_close(vsq_vec_dot_q4_0_q8_0_avx2(w40, a0, N - 32), ref_q4_0(w40, a0, N - 32),
                        sc4 * 0.5);
        }
    }
}

/* Q4_0 blocks worked out by hand; every product and sum is exact in float:
 *  block 0: d_w = 0.5, codes j % 16 in both halves (values -8..7 twice,
 *           sum -16), activations all 1 with d_a = 2: 0.5 x 2 x -16 = -16;
 *  block 1: d_w = 1, every code 0 (value -8), activations -127, d_a = 1:
 *           32 x -8 x -127 = 32512 (the largest block sum: no saturation);
 *  block 2: d_w = 0.25, every code 15 (value 7), activations 127 in the low
 *           half and -127 in the high half, d_a = 4: sum 0.
 * Total -16 + 32512 + 0 = 32496. */
static void test_q4_0_by_hand(void **state) {
    uint8_t w[3 * 18] = {0}, a[3 * 36] = {0};
    const uint16_t dw[3] = {0x3800, 0x3C00, 0x3400}, da[3] = {0x4000, 0x3C00, 0x4400};
    for (int b = 0; b < 3; b++) {
        w[18 * b] = (uint8_t)dw[b], w[18 * b + 1] = (uint8_t)(dw[b] >> 8);
        a[36 * b] = (uint8_t)da[b], a[36 * b + 1] = (uint8_t)(da[b] >> 8);
    }
    for (int j = 0; j < 16; j++) {
        w[2 + j] = (uint8_t)(j | j << 4);
        w[18 + 2 + j] = 0x00;
        w[36 + 2 + j] = 0xFF;
    }
    for (int j = 0; j < 32; j++) {
        a[4 + j] = 1;
        a[36 + 4 + j] = (uint8_t)(int8_t)-127;
        a[72 + 4 + j] = (uint8_t)(int8_t)(j < 16 ? 127 : -127);
    }
    assert_true(vsq_vec_dot_q4_0_q8_0(w, a, 32) == -16.0f);
    assert_true(vsq_vec_dot_q4_0_q8_0(w + 18, a + 36, 32) == 32512.0f);
    assert_true(vsq_vec_dot_q4_0_q8_0(w + 36, a + 72, 32) == 0.0f);
    assert_true(vsq_vec_dot_q4_0_q8_0(w, a, 96) == 32496.0f);
    if (vsq_isa_available(VSQ_ISA_AVX2)) {
        assert_true(vsq_vec_dot_q4_0_q8_0_avx2(w, a, 32) == -16.0f);
        assert_true(vsq_vec_dot_q4_0_q8_0_avx2(w + 18, a + 36, 32) == 32512.0f);
        assert_true(vsq_vec_dot_q4_0_q8_0_avx2(w, a, 64) == 32496.0f);
        assert_true(vsq_vec_dot_q4_0_q8_0_avx2(w, a, 96) == 32496.0f);
    }
}

/* the matrix driver: row r of the result = dot of row r */
static void test_matvec(void **state) {
    test_rng r = {3};
    enum { ROWS = 5 };
    float x[N], y[ROWS];
    static uint8_t w[ROWS * N / 32 * 20], aq[N / 32 * 36], a1[N / 32 * 36];
    fill(&r, x, N, 2.0f);
    random_q4_1(&r, w, (size_t)ROWS * N);
    assert_int_equal(vsq_ggml_matvec(VSQ_GGML_Q4_1, w, x, y, ROWS, N, aq, 2), 0);
    vsq_quantize_row_q8_1(x, a1, N);
    for (int i = 0; i < ROWS; i++) check_close(y[i], ref_q4_1(w + (size_t)i * N / 32 * 20, a1, N), N);
    /* Q4_0 rows meet the row quantized to Q8_0 */
    static uint8_t w40[ROWS * N / 32 * 18], a0[N / 32 * 36];
    random_q4_0(&r, w40, (size_t)ROWS * N);
    assert_int_equal(vsq_ggml_matvec(VSQ_GGML_Q4_0, w40, x, y, ROWS, N, aq, 2), 0);
    vsq_quantize_row_q8_0(x, a0, N);
    for (int i = 0; i < ROWS; i++) check_close(y[i], ref_q4_0(w40 + (size_t)i * N / 32 * 18, a0, N), N);
    assert_int_equal(vsq_ggml_matvec(VSQ_GGML_Q5_0, w, x, y, ROWS, N, aq, 1), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantize_q8_1),
        cmocka_unit_test(test_dots),
        cmocka_unit_test(test_q4_0_by_hand),
        cmocka_unit_test(test_matvec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
