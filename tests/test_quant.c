/* Quantizers: hand-checked cases of eq. 1-3 and eq. 7, and properties on
 * random tensors (Gaussian, Student-t(4), Gaussian with outliers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "vsq/vsq.h"

static vsq_format fmt_of(const char *spec) {
    vsq_format f;
    assert_int_equal(vsq_format_parse(spec, &f), VSQ_OK);
    return f;
}

static void quant(const char *spec, const float *x, size_t rows, size_t cols, size_t ch,
                  vsq_qtensor *q) {
    vsq_format f = fmt_of(spec);
    assert_int_equal(vsq_quantize(&f, x, rows, cols, ch, q), VSQ_OK);
}

static void test_per_tensor_int4_by_hand(void **state) {
    (void)state;
    /* alpha = 7, s = 7/7 = 1 (eq. 1); -3.5 rounds away from zero to -4 */
    const float x[4] = {7.0f, -3.5f, 1.2f, 0.5f};
    vsq_qtensor q;
    quant("int4:pt", x, 1, 4, 1, &q);
    const int16_t want[4] = {7, -4, 1, 1};
    assert_memory_equal(q.codes, want, sizeof want);
    assert_true(q.scale[0] == 1.0f);
    vsq_qtensor_free(&q);
}

static void test_full_range_and_unsigned_by_hand(void **state) {
    (void)state;
    vsq_qtensor q;
    /* int4f with a negative peak maps it to the extra code -8 */
    const float neg[4] = {-8.0f, 1.0f, 2.0f, 3.0f};
    quant("int4f:pt", neg, 1, 4, 1, &q);
    const int16_t want_neg[4] = {-8, 1, 2, 3};
    assert_memory_equal(q.codes, want_neg, sizeof want_neg);
    assert_true(q.scale[0] == 1.0f);
    vsq_qtensor_free(&q);
    /* ... and a positive peak too, through a negative scale (as Q4_0) */
    const float pos[4] = {8.0f, -1.0f, 2.0f, 3.0f};
    quant("int4f:v4:fp16", pos, 1, 4, 1, &q);
    const int16_t want_pos[4] = {-8, 1, -2, -3};
    assert_memory_equal(q.codes, want_pos, sizeof want_pos);
    assert_true(q.scale[0] == -1.0f);
    vsq_qtensor_free(&q);
    /* two-level and e8m0 scales are unsigned: the peak maps to +7 */
    quant("int4f:v4:e8m0", pos, 1, 4, 1, &q);
    assert_int_equal(q.codes[0], 4); /* s = 8/7 rounded up to 2 */
    vsq_qtensor_free(&q);
    /* uint4: negatives clip to 0, alpha = 15 -> s = 1 */
    const float u[4] = {-1.0f, 0.0f, 15.0f, 7.5f};
    quant("uint4:pt", u, 1, 4, 1, &q);
    const int16_t want_u[4] = {0, 0, 15, 8};
    assert_memory_equal(q.codes, want_u, sizeof want_u);
    vsq_qtensor_free(&q);
}

static void test_scale_types_by_hand(void **state) {
    (void)state;
    vsq_qtensor q;
    /* e8m0: s = 7.5/7 = 1.07 rounds up to 2 */
    const float x[4] = {7.5f, -3.0f, 1.0f, 0.9f};
    quant("int4:pt:e8m0", x, 1, 4, 1, &q);
    assert_true(q.scale[0] == 2.0f);
    const int16_t want[4] = {4, -2, 1, 0};
    assert_memory_equal(q.codes, want, sizeof want);
    vsq_qtensor_free(&q);
    /* fp16: 1/3 is stored as the nearest binary16 value 0x3555 */
    const float y[2] = {7.0f / 3.0f, 0.0f};
    quant("int8:pt:fp16", y, 1, 2, 1, &q);
    float s = (7.0f / 3.0f) / 127.0f;
    assert_true(fabsf(q.scale[0] - s) <= s * 0x1p-11f);
    assert_true(q.scale[0] != s);
    vsq_qtensor_free(&q);
}

/* Eq. 7 on two vectors of 4 with 2-bit scales, worked by hand:
 * v0 = [7, -3.5, 1, 0]: s0 = 1, codes [7, -4, 1, 0]
 * v1 = [.7, .35, -.1, .2]: s1 = 0.1, codes [7, 4, -1, 2]
 * gamma = 1/3; sq0 = round(3) = 3; sq1 = round(0.3) = 0 (zeroed). */
static const float two_level_x[8] = {7.0f, -3.5f, 1.0f, 0.0f, 0.7f, 0.35f, -0.1f, 0.2f};

static void test_two_level_paper_by_hand(void **state) {
    (void)state;
    vsq_qtensor q;
    quant("int4:v4:s2", two_level_x, 1, 8, 1, &q);
    const int16_t want[8] = {7, -4, 1, 0, 7, 4, -1, 2};
    assert_memory_equal(q.codes, want, sizeof want);
    assert_int_equal(q.sq[0], 3);
    assert_int_equal(q.sq[1], 0);
    assert_true(fabsf(q.gamma[0] - 1.0f / 3.0f) < 1e-7f);
    float y[8];
    assert_int_equal(vsq_dequantize(&q, y), VSQ_OK);
    for (int i = 4; i < 8; i++) assert_true(y[i] == 0.0f); /* paper zeroes v1 */
    vsq_qtensor_free(&q);
}

static void test_two_level_refined_by_hand(void **state) {
    (void)state;
    vsq_qtensor q;
    quant("int4:v4:s2r", two_level_x, 1, 8, 1, &q);
    assert_int_equal(q.sq[1], 1); /* never zero for a non-zero vector */
    /* re-rounded against 1/3: [2.1, 1.05, -0.3, 0.6] -> [2, 1, 0, 1] */
    const int16_t want[4] = {2, 1, 0, 1};
    assert_memory_equal(q.codes + 4, want, sizeof want);
    vsq_qtensor_free(&q);
}

static double mse_of(const char *spec, const float *x, size_t rows, size_t cols, size_t ch) {
    vsq_format f = fmt_of(spec);
    float *y = malloc(rows * cols * sizeof *y);
    assert_int_equal(vsq_fakequant(&f, x, rows, cols, ch, y), VSQ_OK);
    double e = 0.0;
    for (size_t i = 0; i < rows * cols; i++) e += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
    free(y);
    return e / (double)(rows * cols);
}

enum { ROWS = 64, COLS = 256 };

static void test_granularity_order(void **state) {
    (void)state;
    test_rng r = {0x1234567};
    float *x = malloc(ROWS * COLS * sizeof *x);
    for (int dist = DIST_GAUSS; dist <= DIST_OUTLIERS; dist++) {
        test_fill(&r, x, ROWS * COLS, dist);
        for (int bits = 3; bits <= 8; bits++) {
            char pt[32], pc[32], pv[32];
            snprintf(pt, sizeof pt, "int%d:pt", bits);
            snprintf(pc, sizeof pc, "int%d:pc", bits);
            snprintf(pv, sizeof pv, "int%d:v16", bits);
            double e_pt = mse_of(pt, x, ROWS, COLS, ROWS), e_pc = mse_of(pc, x, ROWS, COLS, ROWS);
            double e_pv = mse_of(pv, x, ROWS, COLS, ROWS);
            assert_true(e_pv <= e_pc);
            assert_true(e_pc <= e_pt);
        }
    }
    free(x);
}

/* |x - q(x)| <= s/2 for every element inside the clip range [qmin s, qmax s],
 * s the effective scale. (The paper's two-level variant rounds elements
 * against the float scale before quantizing it, so it is not bounded by
 * the effective scale; it is checked by hand above.) */
static void check_half_step(const char *spec, const float *x, size_t rows, size_t cols) {
    vsq_qtensor q;
    quant(spec, x, rows, cols, rows, &q);
    float *y = malloc(rows * cols * sizeof *y);
    vsq_dequantize(&q, y);
    int qmin = vsq_format_qmin(&q.fmt), qmax = vsq_format_qmax(&q.fmt);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            size_t i = r * cols + c;
            float s = q.fmt.gran == VSQ_GRAN_TENSOR    ? q.scale[0]
                      : q.fmt.gran == VSQ_GRAN_CHANNEL ? q.scale[r]
                                                       : q.scale[r * q.n_vec + c / q.vec_len];
            float lo = fminf(qmin * s, qmax * s), hi = fmaxf(qmin * s, qmax * s);
            if (x[i] < lo || x[i] > hi) continue;
            assert_true(fabsf(x[i] - y[i]) <= 0.5f * fabsf(s) * (1.0f + 1e-5f) + 1e-30f);
        }
    free(y);
    vsq_qtensor_free(&q);
}

static void test_half_step_bound(void **state) {
    (void)state;
    test_rng r = {99};
    float *x = malloc(ROWS * COLS * sizeof *x);
    const char *specs[] = {"int4:pt",         "int4:pc",         "int4:v16",      "int3:v16:fp16",
                           "int4:v32:e8m0",   "int4:v16:s6r",     "int4:v16:s4r",  "int4:v16:s4c",
                           "int4f:v16:fp32",  "int8:v16:s8c@pt",  "int4:v16:p99",  "int4:v16:fp32:mse",
                           "int4:pc:octav",   "int6:v16:s6r@pt", "int2:v16:s3r",   "int5:v13"};
    test_fill(&r, x, ROWS * COLS, DIST_STUDENT);
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++)
        check_half_step(specs[k], x, ROWS, COLS);
    free(x);
}

static void test_two_level_converges_to_single_level(void **state) {
    (void)state;
    test_rng r = {7};
    float *x = malloc(ROWS * COLS * sizeof *x);
    test_fill(&r, x, ROWS * COLS, DIST_STUDENT);
    double single = mse_of("int4:v16:fp32", x, ROWS, COLS, ROWS), prev = INFINITY;
    const char *specs[] = {"int4:v16:s2r", "int4:v16:s4r", "int4:v16:s6r", "int4:v16:s8r",
                           "int4:v16:s12r"};
    for (int k = 0; k < 5; k++) {
        double e = mse_of(specs[k], x, ROWS, COLS, ROWS);
        assert_true(e <= prev * 1.02);
        prev = e;
    }
    assert_true(fabs(prev - single) <= 0.01 * single);
    /* the paper's variant converges too */
    assert_true(fabs(mse_of("int4:v16:s12", x, ROWS, COLS, ROWS) - single) <= 0.01 * single);
    free(x);
}

static void test_v1_is_lossless_for_signed(void **state) {
    (void)state;
    test_rng r = {5};
    float x[300], y[300];
    test_fill(&r, x, 300, DIST_OUTLIERS);
    const char *specs[] = {"int8:v1", "int4:v1", "int2:v1:fp32", "int3f:v1"};
    for (int k = 0; k < 4; k++) {
        vsq_format f = fmt_of(specs[k]);
        assert_int_equal(vsq_fakequant(&f, x, 3, 100, 3, y), VSQ_OK);
        for (int i = 0; i < 300; i++) assert_true(fabsf(x[i] - y[i]) <= 2e-7f * fabsf(x[i]));
    }
}

static void test_zero_and_constant(void **state) {
    (void)state;
    float zero[64] = {0}, cst[64], y[64];
    for (int i = 0; i < 64; i++) cst[i] = -2.5f;
    const char *specs[] = {"int4:pt", "int4:pc", "int4:v16:s6", "int4:v16:s6r", "int4:v16:s6c",
                           "uint4:v16:e8m0", "int4:v16:fp32:entropy", "int4:v16:octav",
                           "int4:pt:mse", "int4:v16:p99.9"};
    for (int k = 0; k < 10; k++) {
        vsq_format f = fmt_of(specs[k]);
        assert_int_equal(vsq_fakequant(&f, zero, 4, 16, 4, y), VSQ_OK);
        for (int i = 0; i < 64; i++) assert_true(y[i] == 0.0f);
        assert_int_equal(vsq_fakequant(&f, cst, 4, 16, 4, y), VSQ_OK);
        for (int i = 0; i < 64; i++) {
            if (f.elem == VSQ_ELEM_UINT) assert_true(y[i] == 0.0f);
            else assert_true(fabsf(y[i] + 2.5f) <= 2.5f / 7.0f * 0.5f);
        }
    }
}

static void test_rejects_nonfinite_and_bad_shapes(void **state) {
    (void)state;
    float x[32] = {0};
    x[17] = NAN;
    vsq_format f = fmt_of("int4:v16:s6");
    float y[32];
    assert_int_equal(vsq_fakequant(&f, x, 2, 16, 2, y), VSQ_ENONFINITE);
    assert_non_null(strstr(vsq_last_error(), "17"));
    x[17] = INFINITY;
    assert_int_equal(vsq_fakequant(&f, x, 2, 16, 2, y), VSQ_ENONFINITE);
    x[17] = 0.0f;
    assert_int_equal(vsq_fakequant(&f, x, 2, 16, 3, y), VSQ_EINVAL);
    assert_int_equal(vsq_fakequant(&f, x, 0, 16, 1, y), VSQ_EINVAL);
}

static void test_static_alpha(void **state) {
    (void)state;
    /* per-vector clip values broadcast over rows (static activation calibration) */
    const float x[8] = {1.0f, 2.0f, 3.0f, 40.0f, -1.0f, 0.5f, 0.25f, 7.0f};
    const float alpha[2] = {7.0f, 14.0f};
    vsq_format f = fmt_of("int4:v2");
    vsq_qtensor q;
    assert_int_equal(vsq_quantize_with_alpha(&f, x, 2, 4, 2, alpha, &q), VSQ_OK);
    const int16_t want[8] = {1, 2, 2, 7, -1, 1, 0, 4}; /* s = 1, 2; 40 clips to 7 */
    assert_memory_equal(q.codes, want, sizeof want);
    vsq_qtensor_free(&q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_tensor_int4_by_hand),
        cmocka_unit_test(test_full_range_and_unsigned_by_hand),
        cmocka_unit_test(test_scale_types_by_hand),
        cmocka_unit_test(test_two_level_paper_by_hand),
        cmocka_unit_test(test_two_level_refined_by_hand),
        cmocka_unit_test(test_granularity_order),
        cmocka_unit_test(test_half_step_bound),
        cmocka_unit_test(test_two_level_converges_to_single_level),
        cmocka_unit_test(test_v1_is_lossless_for_signed),
        cmocka_unit_test(test_zero_and_constant),
        cmocka_unit_test(test_rejects_nonfinite_and_bad_shapes),
        cmocka_unit_test(test_static_alpha),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
