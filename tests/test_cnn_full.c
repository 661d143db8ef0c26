/* ctest-label: full */
/* The long MobileNetV1 runs: fp32 on all 1300 images (Keras semantics and
 * the --ref-compat mode that reproduces the shared README's reference),
 * then the whole sweep (Tables 2-5 analogues) into the build folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "json_testutil.h"

static void run_ok(const char *args) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s eval-cnn %s", VSQ_CLI, args);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
}

/* Reference (shared README): top-1 72.2, top-5 91.3, tolerance 0.3. */
static void test_reference_1300(void **state) {
    (void)state;
    run_ok("--ref-compat --json cnn_full_ref.json");
    assert_true(fabs(json_number("cnn_full_ref.json", "top1") - 72.2) <= 0.3);
    assert_true(fabs(json_number("cnn_full_ref.json", "top5") - 91.3) <= 0.3);
}

/* Keras semantics (asymmetric "same" padding, half-pixel resize). */
static void test_keras_1300(void **state) {
    (void)state;
    run_ok("--json cnn_full_keras.json");
    assert_true(fabs(json_number("cnn_full_keras.json", "top1") - 77.0) <= 0.3);
    assert_true(fabs(json_number("cnn_full_keras.json", "top5") - 94.62) <= 0.3);
}

static void test_sweep_all(void **state) {
    (void)state;
    run_ok("--sweep all --out . > cnn_sweep.log");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_1300),
        cmocka_unit_test(test_keras_1300),
        cmocka_unit_test(test_sweep_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
