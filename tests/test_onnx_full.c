/* ctest-label: full */
/* EfficientNet-Lite0 (ONNX) fp32 on all 1300 images of val1300 against the
 * independent reference of ../shared/models/efficientnet-lite0/README.md
 * (PyTorch, cross-checked with onnxruntime): top-1 82.38, top-5 95.15,
 * tolerance 0.3 points; and the README's wrong-preprocessing control
 * (ImageNet mean/std: 76.7). */
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

#define MODEL VSQ_SHARED_DIR "/models/efficientnet-lite0/model.onnx"

static void run_ok(const char *args) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s eval-cnn --model %s %s", VSQ_CLI, MODEL, args);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
}

static void test_reference_1300(void **state) {
    (void)state;
    run_ok("--preset efficientnet --json effnet_full.json");
    assert_true(fabs(json_number("effnet_full.json", "top1") - 82.38) <= 0.3);
    assert_true(fabs(json_number("effnet_full.json", "top5") - 95.15) <= 0.3);
}

static void test_imagenet_norm_1300(void **state) {
    (void)state;
    run_ok("--preset imagenet --json effnet_full_imagenet.json");
    assert_true(fabs(json_number("effnet_full_imagenet.json", "top1") - 76.7) <= 0.5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_1300),
        cmocka_unit_test(test_imagenet_norm_1300),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
