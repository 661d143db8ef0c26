/* GPTQ error-compensating rounding: equals plain rounding when the inputs
 * are uncorrelated (H = I), and lowers the layer-output error when they
 * are correlated. */
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

enum { ROWS = 24, COLS = 96, SAMPLES = 512 };

static vsq_format fmt_of(const char *spec) {
    vsq_format f;
    assert_int_equal(vsq_format_parse(spec, &f), VSQ_OK);
    return f;
}

static void test_identity_hessian_is_plain_rounding(void **state) {
    (void)state;
    test_rng r = {77};
    float w[ROWS * COLS];
    test_fill(&r, w, ROWS * COLS, DIST_STUDENT);
    double *h = calloc(COLS * COLS, sizeof *h);
    for (int i = 0; i < COLS; i++) h[i * COLS + i] = 1.0;
    const char *specs[] = {"int4:v16", "int4:pc", "int3:pt", "int4:v16:s6r", "int4f:v32:fp16",
                           "int4:v20:fp32:mse", "int5:v16:s4r@pt"};
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        vsq_format f = fmt_of(specs[k]);
        vsq_qtensor a, b;
        assert_int_equal(vsq_quantize(&f, w, ROWS, COLS, ROWS, &a), VSQ_OK);
        assert_int_equal(vsq_quantize_gptq(&f, w, ROWS, COLS, ROWS, h, 0.0, &b), VSQ_OK);
        assert_memory_equal(a.codes, b.codes, ROWS * COLS * sizeof *a.codes);
        assert_memory_equal(a.scale, b.scale, a.n_scale * sizeof *a.scale);
        vsq_qtensor_free(&a);
        vsq_qtensor_free(&b);
    }
    free(h);
}

/* || (W - Q) X^T ||^2 over the samples. */
static double output_error(const float *w, const vsq_qtensor *q, const float *x) {
    float *d = malloc(ROWS * COLS * sizeof *d);
    vsq_dequantize(q, d);
    double e = 0.0;
    for (int s = 0; s < SAMPLES; s++)
        for (int r = 0; r < ROWS; r++) {
            double y = 0.0;
            for (int c = 0; c < COLS; c++) y += ((double)w[r * COLS + c] - d[r * COLS + c]) * x[s * COLS + c];
            e += y * y;
        }
    free(d);
    return e;
}

static void test_correlated_inputs_lower_output_error(void **state) {
    (void)state;
    test_rng r = {4242};
    float w[ROWS * COLS], *x = malloc(SAMPLES * COLS * sizeof *x);
    test_fill(&r, w, ROWS * COLS, DIST_GAUSS);
    /* inputs: a few shared factors plus noise, so columns correlate */
    for (int s = 0; s < SAMPLES; s++) {
        double f[4];
        for (int j = 0; j < 4; j++) f[j] = test_gauss(&r);
        for (int c = 0; c < COLS; c++)
            x[s * COLS + c] = (float)(f[c % 4] + 0.3 * test_gauss(&r));
    }
    double *h = calloc(COLS * COLS, sizeof *h);
    for (int s = 0; s < SAMPLES; s++)
        for (int i = 0; i < COLS; i++)
            for (int j = 0; j < COLS; j++) h[i * COLS + j] += (double)x[s * COLS + i] * x[s * COLS + j];
    const char *specs[] = {"int3:v16", "int4:v16:s6", "int4:pc", "int4f:v32:fp16", "int2:v16:s4r"};
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        vsq_format f = fmt_of(specs[k]);
        vsq_qtensor rtn, g;
        assert_int_equal(vsq_quantize(&f, w, ROWS, COLS, ROWS, &rtn), VSQ_OK);
        assert_int_equal(vsq_quantize_gptq(&f, w, ROWS, COLS, ROWS, h, 0.01, &g), VSQ_OK);
        double e_rtn = output_error(w, &rtn, x), e_g = output_error(w, &g, x);
        assert_true(e_g < 0.6 * e_rtn);
        vsq_qtensor_free(&rtn);
        vsq_qtensor_free(&g);
    }
    free(h);
    free(x);
}

static void test_rejects_bad_input(void **state) {
    (void)state;
    float w[4 * 8] = {0};
    double h[8 * 8] = {0};
    vsq_format f = fmt_of("int4:v4");
    vsq_qtensor q;
    h[3] = NAN;
    assert_int_equal(vsq_quantize_gptq(&f, w, 4, 8, 4, h, 0.01, &q), VSQ_ENONFINITE);
    h[3] = 0.0;
    assert_int_equal(vsq_quantize_gptq(&f, w, 4, 8, 4, h, -1.0, &q), VSQ_EINVAL);
    /* an all-zero Hessian (no calibration signal) still quantizes */
    assert_int_equal(vsq_quantize_gptq(&f, w, 4, 8, 4, h, 0.01, &q), VSQ_OK);
    vsq_qtensor_free(&q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_hessian_is_plain_rounding),
        cmocka_unit_test(test_correlated_inputs_lower_output_error),
        cmocka_unit_test(test_rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
