/* ctest-label: model */
/* Independent accuracy oracle for MobileNetV1 (alpha 0.75) in the default
 * test run: fp32 top-1 / top-5 on all 1300 shared ImageNet images against
 * the reference of ../shared/README.md (models/mobilenet_v1_0.75_224):
 * 77.00 % / 94.62 %, "from an independent implementation with Keras/TF
 * semantics" (asymmetric 'same' padding at stride 2, shorter side resized
 * to 256, centre crop 224, x/127.5 - 1). Not a number this code produced.
 * Tolerance: one image (0.077 %) either way, for float summation-order
 * differences between machines; the reference's two decimals are
 * 1001/1300 and 1230/1300 images. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "models/cnn/cnn.h"

#define REF_TOP1 77.00
#define REF_TOP5 94.62
#define N_IMAGES 1300
#define ONE_IMAGE (100.0 / N_IMAGES)

static const char *shared_dir(void) {
    const char *d = getenv("VSQ_SHARED");
    return d && *d ? d : VSQ_SHARED_DIR;
}

static void test_fp32_all_1300_against_reference(void **state) {
    (void)state;
    char model_dir[1024], data_dir[1024];
    snprintf(model_dir, sizeof model_dir, "%s/models/mobilenet_v1_0.75_224", shared_dir());
    snprintf(data_dir, sizeof data_dir, "%s/data/imagenet-val1300", shared_dir());
    cnn_model m;
    cnn_dataset d;
    assert_int_equal(cnn_model_load(model_dir, &m), VSQ_OK);
    assert_int_equal(cnn_dataset_open(data_dir, 0, &d), VSQ_OK);
    assert_int_equal(d.n, N_IMAGES);
    /* the reference's preprocessing: half-pixel bilinear, Keras padding */
    assert_int_equal(cnn_dataset_cache(&d, m.in_h, CNN_RESIZE_HALF_PIXEL, NULL), VSQ_OK);
    cnn_result r;
    assert_int_equal(cnn_evaluate(&m, NULL, &d, 0, d.n, 0, &r, NULL), VSQ_OK);
    printf("# fp32 on %d images: top-1 %.2f %% (reference %.2f), top-5 %.2f %% (reference %.2f), "
           "%.0f images/s\n", r.n, r.top1, REF_TOP1, r.top5, REF_TOP5, r.images_per_s);
    assert_int_equal(r.n, N_IMAGES);
    assert_true(fabs(r.top1 - REF_TOP1) <= ONE_IMAGE);
    assert_true(fabs(r.top5 - REF_TOP5) <= ONE_IMAGE);
    cnn_dataset_free(&d);
    cnn_model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_fp32_all_1300_against_reference)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
