/* ctest-label: model */
/* A fixed-seed 1-epoch training run of the plain CNN on a 2,000-image
 * subset of Fashion-MNIST, twice with 2 threads: the loss must agree to
 * the last bit (the fixed reduction order of src/train), and the network
 * must learn (test accuracy on 1,000 images far above the 10 % of chance).
 * Skips (exit 77) when the dataset-fashion-mnist package is missing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "train/train.h"

static tr_dataset train, test;

static void one_run(tr_epoch_log *log, double *acc) {
    tr_net net;
    tr_opts o = {.batch = 64, .epochs = 1, .lr = 0.05, .momentum = 0.9, .weight_decay = 5e-4,
                 .seed = 42, .limit_train = 2000};
    assert_int_equal(tr_net_build_named(&net, "cnn", o.batch, o.seed), VSQ_OK);
    assert_int_equal(net.n_threads, 2);
    assert_int_equal(tr_train_epoch(&net, &train, &o, 0, NULL, NULL, log), VSQ_OK);
    assert_int_equal(tr_evaluate(&net, &test, 1000, acc), VSQ_OK);
    tr_net_free(&net);
}

static void test_deterministic_and_learns(void **st) {
    (void)st;
    tr_epoch_log a, b;
    double acc_a, acc_b;
    one_run(&a, &acc_a);
    one_run(&b, &acc_b);
    printf("loss %.17g / %.17g, test accuracy %.4f\n", a.loss, b.loss, acc_a);
    assert_memory_equal(&a.loss, &b.loss, sizeof(double));
    assert_memory_equal(&a.train_acc, &b.train_acc, sizeof(double));
    assert_true(acc_a == acc_b);
    assert_true(acc_a > 0.6);
}

int main(void) {
    struct stat sb;
    if (stat(tr_fmnist_default_dir(), &sb) != 0) {
        fprintf(stderr, "SKIP: %s missing (Debian package dataset-fashion-mnist)\n", tr_fmnist_default_dir());
        return 77;
    }
    if (tr_fmnist_load(NULL, "train", &train) || tr_fmnist_load(NULL, "t10k", &test)) {
        fprintf(stderr, "%s\n", vsq_last_error());
        return 1;
    }
    omp_set_num_threads(2);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_deterministic_and_learns)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tr_dataset_free(&train), tr_dataset_free(&test);
    return rc;
}
