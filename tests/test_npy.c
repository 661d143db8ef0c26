/* .npy reading/writing, tensor <-> matrix views, atomic writes. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vsq/vsq.h"

static char tmpdir[256];

static int setup_dir(void **state) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vsq_test_npy_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static size_t count_files(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

/* Build an .npy image: version, header text (padded by the caller or not). */
static size_t make_npy(uint8_t *buf, int major, const char *header, const void *data, size_t nbytes) {
    size_t hlen = strlen(header), pre = major == 1 ? 10 : 12;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (uint8_t)major;
    buf[7] = 0;
    if (major == 1) {
        buf[8] = (uint8_t)hlen;
        buf[9] = (uint8_t)(hlen >> 8);
    } else {
        for (int i = 0; i < 4; i++) buf[8 + i] = (uint8_t)(hlen >> (8 * i));
    }
    memcpy(buf + pre, header, hlen);
    memcpy(buf + pre + hlen, data, nbytes);
    return pre + hlen + nbytes;
}

static vsq_status parse_text(int major, const char *header, const void *data, size_t nbytes,
                             vsq_tensor *t) {
    uint8_t buf[1024];
    size_t len = make_npy(buf, major, header, data, nbytes);
    return vsq_npy_parse(buf, len, "test.npy", t);
}

static void test_roundtrip_dtypes(void **state) {
    const vsq_dtype dtypes[] = {VSQ_DTYPE_F32, VSQ_DTYPE_F64, VSQ_DTYPE_I8, VSQ_DTYPE_U8,
                                VSQ_DTYPE_I32};
    const int ndims[] = {0, 1, 2, 3, 8};
    for (size_t d = 0; d < 5; d++) {
        for (size_t k = 0; k < 5; k++) {
            vsq_tensor t = {dtypes[d], ndims[k], {0}, NULL};
            for (int i = 0; i < t.ndim; i++) t.shape[i] = (size_t)(i % 3 + 1 + (i == 0));
            size_t bytes = vsq_tensor_numel(&t) * vsq_dtype_size(t.dtype);
            t.data = malloc(bytes);
            for (size_t i = 0; i < bytes; i++) ((uint8_t *)t.data)[i] = (uint8_t)(i * 37 + d);
            if (t.dtype == VSQ_DTYPE_F64) /* avoid NaN bit patterns: finite values */
                for (size_t i = 0; i < bytes / 8; i++) ((double *)t.data)[i] = i * 0.25 - 3;
            if (t.dtype == VSQ_DTYPE_F32)
                for (size_t i = 0; i < bytes / 4; i++) ((float *)t.data)[i] = i * -1.5f + 0.1f;
            char path[300];
            snprintf(path, sizeof path, "%s/rt_%zu_%zu.npy", tmpdir, d, k);
            assert_int_equal(vsq_npy_save(path, &t), VSQ_OK);
            /* NumPy alignment: data starts at a multiple of 64 */
            FILE *f = fopen(path, "rb");
            uint8_t pre[10];
            assert_int_equal(fread(pre, 1, 10, f), 10);
            fclose(f);
            assert_int_equal((10 + (pre[8] | pre[9] << 8)) % 64, 0);
            vsq_tensor u;
            assert_int_equal(vsq_npy_load(path, &u), VSQ_OK);
            assert_int_equal(u.dtype, t.dtype);
            assert_int_equal(u.ndim, t.ndim);
            for (int i = 0; i < t.ndim; i++) assert_int_equal(u.shape[i], t.shape[i]);
            assert_memory_equal(u.data, t.data, bytes);
            vsq_tensor_free(&u);
            vsq_tensor_free(&t);
        }
    }
    assert_int_equal(count_files(tmpdir), 25); /* no temporary files left behind */
}

static void test_header_variants(void **state) {
    const float data[6] = {1, 2, 3, 4, 5, 6};
    const char *ok[] = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }       \n",
        "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}\n",
        "{\"fortran_order\":False,\"descr\":\"<f4\",\"shape\":(2,3)}",
        "  {  'descr' : '<f4' ,\n 'fortran_order' : False , 'shape' : ( 2 , 3 , ) , }\t\n",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }\n",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        for (int major = 1; major <= 3; major++) {
            vsq_tensor t;
            assert_int_equal(parse_text(major, ok[i], data, sizeof data, &t), VSQ_OK);
            assert_int_equal(t.ndim, 2);
            assert_int_equal(t.shape[0], 2);
            assert_int_equal(t.shape[1], 3);
            assert_memory_equal(t.data, data, sizeof data);
            vsq_tensor_free(&t);
        }
    }
    /* 0-d and 1-d shapes, i1/u1 spellings */
    vsq_tensor t;
    assert_int_equal(parse_text(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ()}", data, 4, &t), VSQ_OK);
    assert_int_equal(t.ndim, 0);
    assert_int_equal(vsq_tensor_numel(&t), 1);
    vsq_tensor_free(&t);
    assert_int_equal(parse_text(1, "{'descr': '<i1', 'fortran_order': False, 'shape': (5,)}", data, 5, &t), VSQ_OK);
    assert_int_equal(t.ndim, 1);
    assert_int_equal(t.dtype, VSQ_DTYPE_I8);
    vsq_tensor_free(&t);
    assert_int_equal(parse_text(1, "{'descr': '<u1', 'fortran_order': False, 'shape': (0, 4)}", data, 0, &t), VSQ_OK);
    assert_int_equal(t.dtype, VSQ_DTYPE_U8);
    assert_int_equal(vsq_tensor_numel(&t), 0);
    vsq_tensor_free(&t);
}

typedef struct {
    const char *header;
    size_t nbytes;
    vsq_status want;
    const char *msg; /* substring of the error message */
} bad_case;

static void test_rejects(void **state) {
    static const uint8_t data[64];
    const bad_case cases[] = {
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24, VSQ_EUNSUPPORTED, "Fortran"},
        {"{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24, VSQ_EUNSUPPORTED, "big-endian"},
        {"{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }", 12, VSQ_EUNSUPPORTED, "dtype '<f2'"},
        {"{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16, VSQ_EUNSUPPORTED, "dtype"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8, VSQ_EUNSUPPORTED, "structured"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 23, VSQ_EFORMAT, "truncated"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 25, VSQ_EFORMAT, "trailing"},
        {"{'descr': '<f4', 'fortran_order': False}", 4, VSQ_EFORMAT, "missing key"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 4, VSQ_EFORMAT, "duplicate"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", 4, VSQ_EFORMAT, "unknown key"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,,)}", 4, VSQ_EFORMAT, "malformed"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", 4, VSQ_EFORMAT, "non-negative"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': [1]}", 4, VSQ_EFORMAT, "tuple"},
        {"{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", 4, VSQ_EFORMAT, "True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x", 4, VSQ_EFORMAT, "after the dictionary"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", 4, VSQ_EFORMAT, "malformed"},
        {"{'descr': '<f4 , 'fortran_order': False, 'shape': (1,)}", 4, VSQ_EFORMAT, "malformed"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (281474976710656, 281474976710656)}", 4, VSQ_EFORMAT, "too large"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}", 4, VSQ_EFORMAT, "too large"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1)}", 4, VSQ_EUNSUPPORTED, "dimensions"},
        {"", 0, VSQ_EFORMAT, "expected '{'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vsq_tensor t;
        vsq_status st = parse_text(1, cases[i].header, data, cases[i].nbytes, &t);
        if (st != cases[i].want || !strstr(vsq_last_error(), cases[i].msg) ||
            !strstr(vsq_last_error(), "test.npy"))
            fail_msg("case %zu: status %d, message '%s'", i, st, vsq_last_error());
        assert_null(t.data);
    }
}

static void test_bad_preamble_and_truncation(void **state) {
    float data[6] = {0};
    uint8_t buf[256];
    size_t len = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n",
                          data, sizeof data);
    vsq_tensor t;
    /* every proper prefix of a valid file is rejected as malformed */
    for (size_t n = 0; n < len; n++) {
        vsq_status st = vsq_npy_parse(buf, n, "cut.npy", &t);
        if (st != VSQ_EFORMAT) fail_msg("prefix %zu: status %d (%s)", n, st, vsq_last_error());
    }
    assert_int_equal(vsq_npy_parse(buf, len, "cut.npy", &t), VSQ_OK);
    vsq_tensor_free(&t);
    buf[0] = 'X';
    assert_int_equal(vsq_npy_parse(buf, len, "x.npy", &t), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "magic"));
    buf[0] = 0x93;
    buf[6] = 4;
    assert_int_equal(vsq_npy_parse(buf, len, "x.npy", &t), VSQ_EUNSUPPORTED);
    buf[6] = 1;
    buf[8] = 0xFF; /* header length beyond the file */
    assert_int_equal(vsq_npy_parse(buf, len, "x.npy", &t), VSQ_EFORMAT);
    /* missing file: I/O error naming the path */
    assert_int_equal(vsq_npy_load("/nonexistent/dir/a.npy", &t), VSQ_EIO);
    assert_non_null(strstr(vsq_last_error(), "/nonexistent/dir/a.npy"));
}

/* 2x3x4 tensor with value = 100a + 10b + c; check the matrix view by hand. */
static void test_matrix_views(void **state) {
    float v[24];
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 4; c++) v[(a * 3 + b) * 4 + c] = 100 * a + 10 * b + c;
    vsq_tensor t = {VSQ_DTYPE_F32, 3, {2, 3, 4}, v};
    const int axes[] = {0, 1, 2, -1, -2, -3};
    const size_t want_cols[] = {2, 3, 4, 4, 3, 2}, want_ch[] = {3, 2, 2, 2, 2, 3};
    for (int k = 0; k < 6; k++) {
        float *m, back[24];
        size_t rows, cols, ch;
        assert_int_equal(vsq_tensor_to_matrix(&t, axes[k], &m, &rows, &cols, &ch), VSQ_OK);
        assert_int_equal(cols, want_cols[k]);
        assert_int_equal(rows * cols, 24);
        assert_int_equal(ch, want_ch[k]);
        int ax = axes[k] < 0 ? axes[k] + 3 : axes[k];
        /* each row is one vector along the axis: consecutive entries differ
         * by the axis' place value; rows enumerate the other axes in order */
        float step = ax == 0 ? 100 : ax == 1 ? 10 : 1;
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 1; c < cols; c++)
                assert_true(m[r * cols + c] - m[r * cols + c - 1] == step);
        for (size_t r = 1; r < rows; r++) assert_true(m[r * cols] > m[(r - 1) * cols]);
        assert_int_equal(vsq_matrix_to_tensor(m, &t, axes[k], back), VSQ_OK);
        assert_memory_equal(back, v, sizeof v);
        free(m);
    }
    float *m;
    size_t rows, cols, ch;
    assert_int_equal(vsq_tensor_to_matrix(&t, 3, &m, &rows, &cols, &ch), VSQ_EINVAL);
    assert_int_equal(vsq_tensor_to_matrix(&t, -4, &m, &rows, &cols, &ch), VSQ_EINVAL);
    /* 0-d and 1-d */
    vsq_tensor s = {VSQ_DTYPE_F32, 0, {0}, v};
    assert_int_equal(vsq_tensor_to_matrix(&s, -1, &m, &rows, &cols, &ch), VSQ_OK);
    assert_true(rows == 1 && cols == 1 && ch == 1 && m[0] == 0);
    free(m);
    vsq_tensor l = {VSQ_DTYPE_F32, 1, {5}, v};
    assert_int_equal(vsq_tensor_to_matrix(&l, 0, &m, &rows, &cols, &ch), VSQ_OK);
    assert_true(rows == 1 && cols == 5 && ch == 1 && m[4] == 10);
    free(m);
}

static void test_to_f32(void **state) {
    int8_t i8[3] = {-128, 0, 127};
    uint8_t u8[3] = {0, 1, 255};
    int32_t i32[3] = {-16777216, 7, 16777216};
    double f64[3] = {0.1, -2.5, 3.4e38};
    const void *data[4] = {i8, u8, i32, f64};
    const vsq_dtype types[4] = {VSQ_DTYPE_I8, VSQ_DTYPE_U8, VSQ_DTYPE_I32, VSQ_DTYPE_F64};
    const float want[4][3] = {{-128, 0, 127}, {0, 1, 255}, {-16777216.f, 7, 16777216.f},
                              {0.1f, -2.5f, 3.4e38f}};
    for (int k = 0; k < 4; k++) {
        vsq_tensor t = {types[k], 1, {3}, (void *)data[k]};
        float *y;
        assert_int_equal(vsq_tensor_to_f32(&t, &y), VSQ_OK);
        for (int i = 0; i < 3; i++) assert_true(y[i] == want[k][i]);
        free(y);
    }
    f64[1] = 1e39; /* finite double that float cannot hold */
    vsq_tensor t = {VSQ_DTYPE_F64, 1, {3}, f64};
    float *y;
    assert_int_equal(vsq_tensor_to_f32(&t, &y), VSQ_ENONFINITE);
    assert_non_null(strstr(vsq_last_error(), "element 1"));
}

static void test_write_atomic(void **state) {
    char path[300];
    snprintf(path, sizeof path, "%s/atomic.txt", tmpdir);
    size_t before = count_files(tmpdir);
    assert_int_equal(vsq_write_atomic(path, "hello", 5), VSQ_OK);
    assert_int_equal(vsq_write_atomic(path, "bye", 3), VSQ_OK); /* replaces */
    FILE *f = fopen(path, "rb");
    char b[8] = {0};
    assert_int_equal(fread(b, 1, sizeof b, f), 3);
    fclose(f);
    assert_string_equal(b, "bye");
    assert_int_equal(count_files(tmpdir), before + 1);
    /* a directory in the way: rename fails, temp file is cleaned up */
    char dirpath[300];
    snprintf(dirpath, sizeof dirpath, "%s/adir", tmpdir);
    assert_int_equal(mkdir(dirpath, 0700), 0);
    char inner[320];
    snprintf(inner, sizeof inner, "%s/x", dirpath);
    assert_int_equal(mkdir(inner, 0700), 0);
    assert_int_equal(vsq_write_atomic(dirpath, "x", 1), VSQ_EIO);
    assert_non_null(strstr(vsq_last_error(), "adir"));
    assert_int_equal(count_files(tmpdir), before + 2);
    assert_int_equal(vsq_write_atomic("/nonexistent/dir/x", "x", 1), VSQ_EIO);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_dtypes),
        cmocka_unit_test(test_header_variants),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_bad_preamble_and_truncation),
        cmocka_unit_test(test_matrix_views),
        cmocka_unit_test(test_to_f32),
        cmocka_unit_test(test_write_atomic),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
