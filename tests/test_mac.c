/* The bit-accurate vector MAC and its GEMM (paper eq. 5, section 5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "vsq/vsq.h"

static void test_scale_product_rounding_by_hand(void **state) {
    (void)state;
    int shift;
    /* 4-bit x 4-bit scales: 13 * 11 = 143 = 0b10001111 (8 bits) */
    assert_int_equal(vsq_mac_scale_product(13, 11, 4, 4, 0, &shift), 143);
    assert_int_equal(shift, 0);
    /* keep 4 MSBs: 143 / 16 = 8.94 -> 9 */
    assert_int_equal(vsq_mac_scale_product(13, 11, 4, 4, 4, &shift), 9);
    assert_int_equal(shift, 4);
    /* small products round to zero ("data gating", paper Fig. 3 discussion) */
    assert_int_equal(vsq_mac_scale_product(1, 3, 4, 4, 4, &shift), 0);
    /* tie: 8 / 16 = 0.5 rounds away from zero to 1 */
    assert_int_equal(vsq_mac_scale_product(2, 4, 4, 4, 4, &shift), 1);
    /* R >= Mw + Ma: no rounding */
    assert_int_equal(vsq_mac_scale_product(13, 11, 4, 4, 8, &shift), 143);
    assert_int_equal(shift, 0);
}

static void test_dot_and_acc_width(void **state) {
    (void)state;
    const int16_t w[4] = {7, -7, 3, 0}, a[4] = {15, 15, -2, 9};
    assert_int_equal(vsq_mac_dot(w, a, 4), 105 - 105 - 6);
    /* 2N + log2 V + 2M (+ log2 of the number of vectors) */
    assert_int_equal(vsq_mac_acc_bits(4, 4, 4, 4, 16, 16), 20);
    assert_int_equal(vsq_mac_acc_bits(8, 8, 6, 10, 16, 4096), 8 + 8 + 4 + 16 + 8);
}

static void quantize(const char *spec, const float *x, size_t rows, size_t cols, vsq_qtensor *q) {
    vsq_format f;
    assert_int_equal(vsq_format_parse(spec, &f), VSQ_OK);
    assert_int_equal(vsq_quantize(&f, x, rows, cols, rows, q), VSQ_OK);
}

/* Float matmul of the dequantized operands, in double. */
static void fake_matmul(const vsq_qtensor *a, const vsq_qtensor *w, double *y) {
    size_t m = a->rows, n = w->rows, k = a->cols;
    float *da = malloc(m * k * sizeof *da), *dw = malloc(n * k * sizeof *dw);
    vsq_dequantize(a, da);
    vsq_dequantize(w, dw);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t t = 0; t < k; t++) s += (double)da[i * k + t] * dw[j * k + t];
            y[i * n + j] = s;
        }
    free(da);
    free(dw);
}

/* Exact integer check: acc = sum_j dot_j * sqw_j * sqa_j recomputed here. */
static void check_integer_acc(const vsq_qtensor *a, const vsq_qtensor *w, const int64_t *acc) {
    size_t k = a->cols, v = a->vec_len;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < w->rows; j++) {
            int64_t s = 0;
            for (size_t t = 0; t < k; t++)
                s += (int64_t)a->codes[i * k + t] * w->codes[j * k + t] *
                     a->sq[i * a->n_vec + t / v] * w->sq[j * w->n_vec + t / v];
            assert_true(s == acc[i * w->rows + j]);
        }
}

static void check_pair(const char *aspec, const char *wspec, size_t m, size_t n, size_t k,
                       int dist, uint64_t seed) {
    test_rng r = {seed};
    float *xa = malloc(m * k * sizeof *xa), *xw = malloc(n * k * sizeof *xw);
    test_fill(&r, xa, m * k, dist);
    test_fill(&r, xw, n * k, dist);
    vsq_qtensor a, w;
    quantize(aspec, xa, m, k, &a);
    quantize(wspec, xw, n, k, &w);
    float *y = malloc(m * n * sizeof *y);
    int64_t *acc = malloc(m * n * sizeof *acc);
    double *ref = malloc(m * n * sizeof *ref);
    assert_int_equal(vsq_gemm_ref(&a, &w, 0, y, acc), VSQ_OK);
    fake_matmul(&a, &w, ref);
    if (a.sq && w.sq) check_integer_acc(&a, &w, acc);
    /* |y - ref| within fp32 rounding of the terms' magnitude */
    for (size_t i = 0; i < m * n; i++) {
        double bound = 0.0;
        (void)bound;
        double tol = 1e-5 * (fabs(ref[i]) + 1e-3 * k);
        assert_true(fabs((double)y[i] - ref[i]) <= tol);
    }
    free(xa);
    free(xw);
    free(y);
    free(acc);
    free(ref);
    vsq_qtensor_free(&a);
    vsq_qtensor_free(&w);
}

static void test_gemm_matches_fakequant_matmul(void **state) {
    (void)state;
    /* two-level x two-level: exact in integers (point 6 of the core issue) */
    check_pair("int8:v16:s10", "int4:v16:s6", 5, 7, 64, DIST_GAUSS, 1);
    check_pair("uint8:v16:s8", "int8:v16:s8", 3, 9, 100, DIST_STUDENT, 2); /* V does not divide K */
    check_pair("int4:v32:s4r", "int4:v32:s4c", 4, 4, 96, DIST_OUTLIERS, 3);
    check_pair("int8:v16:s6@pt", "int6:v16:s6r", 6, 5, 48, DIST_GAUSS, 4);
    /* coarse x two-level (PVWO / PVAO) and coarse x coarse */
    check_pair("int8:pt", "int4:v16:s6", 4, 6, 80, DIST_GAUSS, 5);
    check_pair("uint4:v16:s4", "int4:pc", 4, 6, 80, DIST_GAUSS, 6);
    check_pair("int8:pt", "int8:pc", 3, 3, 33, DIST_STUDENT, 7);
    /* single-level float per-vector scales */
    check_pair("int8:v16:fp32", "int4:v16:fp16", 4, 5, 70, DIST_STUDENT, 8);
    check_pair("int8:v32:e8m0", "int4:v32:s6", 2, 3, 64, DIST_GAUSS, 9);
}

static void test_gemm_rounding_matches_formula(void **state) {
    (void)state;
    test_rng r = {11};
    float xa[2 * 32], xw[3 * 32];
    test_fill(&r, xa, 64, DIST_GAUSS);
    test_fill(&r, xw, 96, DIST_GAUSS);
    vsq_qtensor a, w;
    quantize("int4:v16:s4", xa, 2, 32, &a);
    quantize("int4:v16:s4", xw, 3, 32, &w);
    float y[6];
    int64_t acc[6];
    assert_int_equal(vsq_gemm_ref(&a, &w, 4, y, acc), VSQ_OK);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            int64_t s = 0;
            for (int v = 0; v < 2; v++) {
                int32_t dot = vsq_mac_dot(w.codes + j * 32 + v * 16, a.codes + i * 32 + v * 16, 16);
                uint32_t p = (uint32_t)a.sq[i * 2 + v] * w.sq[j * 2 + v];
                s += (int64_t)dot * (int64_t)((p + 8) >> 4);
            }
            assert_true(s == acc[i * 3 + j]);
            double want = (double)s * 16.0 * a.gamma[i] * w.gamma[j];
            assert_true(fabs(y[i * 3 + j] - want) <= 1e-6 * fabs(want) + 1e-12);
        }
    vsq_qtensor_free(&a);
    vsq_qtensor_free(&w);
}

/* Worst case: every code at its extreme and every scale at its maximum
 * must fit the accumulator width the paper gives. */
static void test_worst_case_fits_acc_width(void **state) {
    (void)state;
    enum { K = 4096, V = 16 };
    int16_t *w = malloc(K * sizeof *w), *a = malloc(K * sizeof *a);
    for (int i = 0; i < K; i++) {
        w[i] = -128;
        a[i] = -128;
    }
    int64_t sum = 0;
    for (int j = 0; j < K / V; j++)
        sum += (int64_t)vsq_mac_dot(w + j * V, a + j * V, V) *
               vsq_mac_scale_product(255, 1023, 8, 10, 0, NULL);
    int bits = vsq_mac_acc_bits(8, 8, 8, 10, V, K);
    assert_true(sum > 0 && sum < ((int64_t)1 << (bits - 1)));
    free(w);
    free(a);
}

static void test_gemm_rejects_mismatch(void **state) {
    (void)state;
    float x[64] = {0};
    vsq_qtensor a, w;
    quantize("int8:v16", x, 2, 32, &a);
    quantize("int8:v8", x, 2, 32, &w);
    float y[4];
    assert_int_equal(vsq_gemm_ref(&a, &w, 0, y, NULL), VSQ_EINVAL);
    vsq_qtensor_free(&w);
    quantize("int8:v16", x, 4, 16, &w);
    assert_int_equal(vsq_gemm_ref(&a, &w, 0, y, NULL), VSQ_EINVAL);
    vsq_qtensor_free(&a);
    vsq_qtensor_free(&w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale_product_rounding_by_hand),
        cmocka_unit_test(test_dot_and_acc_width),
        cmocka_unit_test(test_gemm_matches_fakequant_matmul),
        cmocka_unit_test(test_gemm_rounding_matches_formula),
        cmocka_unit_test(test_worst_case_fits_acc_width),
        cmocka_unit_test(test_gemm_rejects_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
