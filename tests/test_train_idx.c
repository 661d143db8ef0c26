/* IDX reader (src/train/idx.c): small gzip and plain files written here
 * with known bytes; every malformed case must fail with a message naming
 * the file and the problem. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "train/train.h"

static char dir[] = "/tmp/vsq_idx_XXXXXX";

static void path_of(char *out, const char *name) { sprintf(out, "%s/%s", dir, name); }

static void write_file(const char *name, const uint8_t *b, size_t n, int gz) {
    char p[256];
    path_of(p, name);
    if (gz) {
        gzFile g = gzopen(p, "wb");
        assert_non_null(g);
        assert_int_equal(gzwrite(g, b, (unsigned)n), (int)n);
        gzclose(g);
    } else {
        FILE *f = fopen(p, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(b, 1, n, f), n);
        fclose(f);
    }
}

/* 3 images of 2x2 with pixel value 10*i + j, labels 7 0 9. */
static size_t images(uint8_t *b, int n_decl, int type, int ndim) {
    uint8_t h[16] = {0, 0, (uint8_t)type, (uint8_t)ndim, 0, 0, 0, (uint8_t)n_decl, 0, 0, 0, 2, 0, 0, 0, 2};
    memcpy(b, h, 16);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) b[16 + 4 * i + j] = (uint8_t)(10 * i + j);
    return 16 + 12;
}
static size_t labels(uint8_t *b, int n_decl, uint8_t last) {
    uint8_t h[8] = {0, 0, 8, 1, 0, 0, 0, (uint8_t)n_decl};
    memcpy(b, h, 8);
    b[8] = 7, b[9] = 0, b[10] = last;
    return 11;
}

static vsq_status load(const char *img, const char *lab, tr_dataset *d) {
    char a[256], b[256];
    path_of(a, img), path_of(b, lab);
    return tr_idx_load(a, b, d);
}

static void test_valid_gzip_and_plain(void **st) {
    (void)st;
    uint8_t b[64], l[16];
    size_t n = images(b, 3, 8, 3), m = labels(l, 3, 9);
    write_file("img.gz", b, n, 1), write_file("lab.gz", l, m, 1);
    write_file("img.raw", b, n, 0), write_file("lab.raw", l, m, 0);
    tr_dataset d;
    for (int plain = 0; plain < 2; plain++) {
        assert_int_equal(load(plain ? "img.raw" : "img.gz", plain ? "lab.raw" : "lab.gz", &d), VSQ_OK);
        assert_int_equal(d.n, 3);
        assert_int_equal(d.h, 2);
        assert_int_equal(d.w, 2);
        assert_int_equal(d.pixels[4 * 2 + 3], 23);
        assert_int_equal(d.labels[0], 7);
        assert_int_equal(d.labels[2], 9);
        tr_dataset_free(&d);
    }
}

static void expect_error(const char *img, const char *lab, vsq_status want, const char *needle) {
    tr_dataset d;
    vsq_status s = load(img, lab, &d);
    assert_int_equal(s, want);
    if (!strstr(vsq_last_error(), needle)) fail_msg("message '%s' lacks '%s'", vsq_last_error(), needle);
    assert_null(d.pixels);
}

static void test_malformed(void **st) {
    (void)st;
    uint8_t b[64], l[16];
    size_t n = images(b, 3, 8, 3), m = labels(l, 3, 9);
    write_file("ok_img.gz", b, n, 1), write_file("ok_lab.gz", l, m, 1);
    write_file("trunc_img.gz", b, n - 1, 1);
    expect_error("trunc_img.gz", "ok_lab.gz", VSQ_EFORMAT, "truncated");
    write_file("trunc_hdr.gz", b, 10, 1);
    expect_error("trunc_hdr.gz", "ok_lab.gz", VSQ_EFORMAT, "truncated");
    images(b, 4, 8, 3); /* header says 4 images, data holds 3 */
    write_file("short_img.gz", b, n, 1);
    expect_error("short_img.gz", "ok_lab.gz", VSQ_EFORMAT, "truncated");
    images(b, 2, 8, 3); /* header says 2: trailing bytes */
    write_file("long_img.gz", b, n, 1);
    expect_error("long_img.gz", "ok_lab.gz", VSQ_EFORMAT, "more data");
    images(b, 3, 0x0D, 3); /* float elements */
    write_file("float_img.gz", b, n, 1);
    expect_error("float_img.gz", "ok_lab.gz", VSQ_EFORMAT, "element type");
    images(b, 3, 8, 3);
    /* swapped: a label file given as images */
    expect_error("ok_lab.gz", "ok_img.gz", VSQ_EFORMAT, "dimensions");
    labels(l, 2, 9); /* 2 labels for 3 images */
    write_file("few_lab.gz", l, 10, 1);
    expect_error("ok_img.gz", "few_lab.gz", VSQ_EFORMAT, "2 labels for 3 images");
    labels(l, 3, 10); /* class 10 */
    write_file("bad_lab.gz", l, m, 1);
    expect_error("ok_img.gz", "bad_lab.gz", VSQ_EFORMAT, "not a class");
    uint8_t junk[8] = {0x1f, 0x8b, 8, 0, 1, 2, 3, 4}; /* a broken gzip stream */
    write_file("junk.gz", junk, 8, 0);
    tr_dataset d;
    assert_true(load("junk.gz", "ok_lab.gz", &d) != VSQ_OK);
    uint8_t notidx[16] = {1, 2, 3, 4};
    write_file("notidx.gz", notidx, 16, 1);
    expect_error("notidx.gz", "ok_lab.gz", VSQ_EFORMAT, "not an IDX file");
    expect_error("missing.gz", "ok_lab.gz", VSQ_EIO, "missing.gz");
}

static void test_missing_package_names_it(void **st) {
    (void)st;
    tr_dataset d;
    assert_int_equal(tr_fmnist_load("/nonexistent/fmnist", "train", &d), VSQ_EIO);
    assert_non_null(strstr(vsq_last_error(), "dataset-fashion-mnist"));
}

static int setup(void **st) {
    (void)st;
    return mkdtemp(dir) ? 0 : -1;
}
static int teardown(void **st) {
    (void)st;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_gzip_and_plain),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_missing_package_names_it),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
