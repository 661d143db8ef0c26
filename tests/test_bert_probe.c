/* test_bert_probe.c - the logistic-regression probe on hand-checkable
 * cases, the Wilson interval, and the token-id file reader. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
/* cmocka needs the three headers above first */
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/bert/bert.h"

/* Non-separable, 1-d, unregularised: at x = +1 three of four labels are 1,
 * at x = -1 one of four. The maximum-likelihood fit makes
 * sigmoid(w + b) = 3/4 and sigmoid(-w + b) = 1/4, so b = 0, w = ln 3. */
static void test_probe_nonseparable_mle(void **state) {
    (void)state;
    const float x[8] = {1, 1, 1, 1, -1, -1, -1, -1};
    const int y[8] = {1, 1, 1, 0, 0, 0, 0, 1};
    bert_probe p;
    assert_int_equal(bert_probe_train(x, y, 8, 1, 0.0, &p), VSQ_OK);
    assert_true(fabs(p.w[0] - log(3.0)) < 1e-8);
    assert_true(fabs(p.b) < 1e-8);
    assert_true(p.grad_norm < 1e-9);
    assert_int_equal(bert_probe_predict(&p, &x[0]), 1);
    assert_int_equal(bert_probe_predict(&p, &x[4]), 0);
    bert_probe_free(&p);
}

/* Separable, 1-d, x = +1 -> 1, x = -1 -> 0: without regularisation w would
 * diverge; with lambda the optimum solves lambda w = sigmoid(-w) (b = 0 by
 * symmetry). lambda = sigmoid(-2) / 2 therefore gives exactly w = 2. */
static void test_probe_separable_regularised(void **state) {
    (void)state;
    const float x[2] = {1, -1};
    const int y[2] = {1, 0};
    double lambda = 0.5 / (1.0 + exp(2.0));
    bert_probe p;
    assert_int_equal(bert_probe_train(x, y, 2, 1, lambda, &p), VSQ_OK);
    assert_true(fabs(p.w[0] - 2.0) < 1e-8);
    assert_true(fabs(p.b) < 1e-8);
    bert_probe_free(&p);
}

/* The bias is not penalised: all labels 1 with a zero feature drives b up
 * (until the gradient is below the tolerance) while w stays 0. */
static void test_probe_bias_free(void **state) {
    (void)state;
    const float x[4] = {0, 0, 0, 0};
    const int y[4] = {1, 1, 1, 1};
    bert_probe p;
    assert_int_equal(bert_probe_train(x, y, 4, 1, 1.0, &p), VSQ_OK);
    assert_true(p.b > 5.0);
    assert_true(fabs(p.w[0]) < 1e-12);
    bert_probe_free(&p);
}

/* A 2-d problem where only the second feature carries the label: the
 * probe classifies every point right and weights feature 2 most. */
static void test_probe_2d_and_cv(void **state) {
    (void)state;
    enum { N = 40 };
    float x[2 * N];
    int y[N];
    for (int i = 0; i < N; i++) {
        x[2 * i] = (float)((i * 7919) % 13) / 13.0f - 0.5f; /* noise */
        y[i] = i % 2;
        x[2 * i + 1] = (y[i] ? 1.0f : -1.0f) * (0.2f + (float)(i % 5) / 10.0f);
    }
    bert_probe p;
    assert_int_equal(bert_probe_train(x, y, N, 2, 1e-3, &p), VSQ_OK);
    assert_true(fabs(p.w[1]) > 10.0 * fabs(p.w[0]));
    for (int i = 0; i < N; i++) assert_int_equal(bert_probe_predict(&p, &x[2 * i]), y[i]);
    bert_probe_free(&p);
    const double grid[3] = {1e-1, 1e-2, 1e-3};
    double best = 0, acc = 0;
    assert_int_equal(bert_probe_select_lambda(x, y, N, 2, 5, grid, 3, &best, &acc), VSQ_OK);
    assert_true(acc == 100.0);
    assert_true(best == 1e-1); /* ties keep the first (largest) lambda */
    assert_int_not_equal(bert_probe_train(x, y, 0, 2, 1e-3, &p), VSQ_OK);
    assert_int_not_equal(bert_probe_train(x, y, N, 2, -1.0, &p), VSQ_OK);
}

/* Wilson score interval (z = 1.95996), values from the closed form. */
static void test_wilson(void **state) {
    (void)state;
    double lo, hi;
    bert_wilson95(74, 100, &lo, &hi);
    assert_true(fabs(lo - 64.62901) < 1e-4 && fabs(hi - 81.59530) < 1e-4);
    bert_wilson95(1480, 2000, &lo, &hi);
    assert_true(fabs(lo - 72.03292) < 1e-4 && fabs(hi - 75.87506) < 1e-4);
    bert_wilson95(0, 10, &lo, &hi);
    assert_true(fabs(lo) < 1e-9 && fabs(hi - 27.75328) < 1e-4);
}

static char *write_tmp(const char *text) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/vsq_bert_ids_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* Truncation keeps the final [SEP]; bad ids and empty lines are errors
 * naming the file and line. */
static void test_ids_file(void **state) {
    (void)state;
    char *path = write_tmp("101 7 8 9 102\n101 102\r\n");
    bert_ids s;
    assert_int_equal(bert_ids_load(path, 4, 1000, &s), VSQ_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.len[0], 4);
    assert_int_equal(s.ids[0][0], 101);
    assert_int_equal(s.ids[0][2], 8);
    assert_int_equal(s.ids[0][3], 102);
    assert_int_equal(s.len[1], 2);
    bert_ids_free(&s);
    unlink(path);
    path = write_tmp("101 102\n101 5000 102\n");
    assert_int_equal(bert_ids_load(path, 128, 1000, &s), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), ":2:"));
    unlink(path);
    path = write_tmp("101 102\n\n101 102\n");
    assert_int_equal(bert_ids_load(path, 128, 1000, &s), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "empty line"));
    unlink(path);
    path = write_tmp("101 1x2\n");
    assert_int_equal(bert_ids_load(path, 128, 1000, &s), VSQ_EFORMAT);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_nonseparable_mle),
        cmocka_unit_test(test_probe_separable_regularised),
        cmocka_unit_test(test_probe_bias_free),
        cmocka_unit_test(test_probe_2d_and_cv),
        cmocka_unit_test(test_wilson),
        cmocka_unit_test(test_ids_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
