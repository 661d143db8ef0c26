/* The public API against hand-built (not parsed) inputs, issue 15: every
 * case here crashed, overflowed or returned a wrong answer before the fix
 * named in its comment.
 *   - format limits checked wherever a vsq_format is used (not only by the
 *     spec parser): bits, V, scale bits, enum fields
 *   - quantized tensors checked before use (division by a zero channel
 *     count, codes outside the format, mismatched layout fields)
 *   - size arithmetic overflow-checked (quantizer, TF.js manifest)
 *   - integer accumulators: the vsq_mac_acc_bits bound checked first
 *   - vsq_round exact for every double
 *   - per-thread kernel scratch returned when threads exit */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernels/kernels_internal.h"
#include "models/cnn/cnn.h"
#include "vsq/vsq.h"

static vsq_format fmt_of(const char *spec) {
    vsq_format f;
    assert_int_equal(vsq_format_parse(spec, &f), VSQ_OK);
    return f;
}

static int has(const char *needle) { return strstr(vsq_last_error(), needle) != NULL; }

/* Before: only the parser knew the limits. bits = 20 shifted past the
 * int16 codes, V = 8192 two-level overran a 4096-entry stack buffer in the
 * scale search, V = 0 divided by zero in GPTQ, elem = 7 read past a name
 * table in vsq_format_str. */
static void test_format_limits_everywhere(void **state) {
    (void)state;
    float x[64];
    for (int i = 0; i < 64; i++) x[i] = (float)(i % 13) - 6.0f;
    vsq_qtensor q;
    vsq_format f = fmt_of("int4:v16:s6r");
    f.bits = 20;
    assert_int_equal(vsq_quantize(&f, x, 4, 16, 4, &q), VSQ_EINVAL);
    assert_true(has("element bits 20"));
    assert_int_equal(vsq_format_qmax(&f), 0);
    assert_true(isnan(vsq_format_bits_per_elem(&f, 4, 16, 4)));

    float *big = calloc(8192, sizeof *big);
    big[5] = 1.0f;
    f = fmt_of("int4:v16:s6r");
    f.vec_len = 8192;
    assert_int_equal(vsq_quantize(&f, big, 1, 8192, 1, &q), VSQ_EINVAL);
    assert_true(has("vector length 8192"));
    free(big);

    f = fmt_of("int4:v16:s6");
    f.scale_bits = 40;
    assert_int_equal(vsq_fakequant(&f, x, 4, 16, 4, x), VSQ_EINVAL);
    assert_true(has("scale bits 40"));

    f = fmt_of("int4:v16");
    f.vec_len = 0;
    double h[16 * 16] = {0};
    for (int i = 0; i < 16; i++) h[i * 16 + i] = 1.0;
    assert_int_equal(vsq_quantize_gptq(&f, x, 4, 16, 4, h, 0.01, &q), VSQ_EINVAL);

    f = fmt_of("int8:pt");
    f.elem = (vsq_elem_kind)7;
    char buf[64] = "x";
    assert_int_equal(vsq_format_str(&f, buf, sizeof buf), -1);
    assert_string_equal(buf, "");
    f = fmt_of("int8:pt");
    f.calib = (vsq_calib_method)9;
    assert_int_equal(vsq_quantize(&f, x, 4, 16, 4, &q), VSQ_EINVAL);
}

/* Before: the reference GEMM divided by a zero channel count (the
 * quantizers themselves already refused empty shapes). */
static void test_zero_sizes(void **state) {
    (void)state;
    float x[16] = {1, 2, 3};
    vsq_qtensor pc;
    vsq_format fpc = fmt_of("int8:pc");
    assert_int_equal(vsq_quantize(&fpc, x, 1, 16, 1, &pc), VSQ_OK);
    vsq_qtensor zero = pc;
    zero.channels = 0;
    float y;
    assert_int_equal(vsq_gemm_ref(&zero, &pc, 0, &y, NULL), VSQ_EINVAL);
    zero = pc;
    zero.rows = 0;
    assert_int_equal(vsq_gemm_ref(&pc, &zero, 0, &y, NULL), VSQ_EINVAL);
    vsq_qtensor_free(&pc);
    double h[16 * 16] = {0};
    for (int i = 0; i < 16; i++) h[i * 16 + i] = 1.0;
    vsq_format f = fmt_of("int4:pc");
    vsq_qtensor q;
    assert_int_equal(vsq_quantize_gptq(&f, x, 1, 16, 0, h, 0.01, &q), VSQ_EINVAL);
    assert_int_equal(vsq_quantize_gptq(&f, x, 0, 16, 1, h, 0.01, &q), VSQ_EINVAL);
    assert_int_equal(vsq_quantize(&f, x, 1, 0, 1, &q), VSQ_EINVAL);
}

/* Before: vsq_dequantize trusted the struct. channels = 0 divided by zero;
 * codes outside the format and a short n_vec produced garbage silently. */
static void test_qtensor_checked(void **state) {
    (void)state;
    float x[32], y[32];
    for (int i = 0; i < 32; i++) x[i] = sinf((float)i);
    vsq_format f = fmt_of("int4:pc");
    vsq_qtensor q;
    assert_int_equal(vsq_quantize(&f, x, 2, 16, 2, &q), VSQ_OK);
    assert_int_equal(vsq_dequantize(&q, y), VSQ_OK);
    vsq_qtensor bad = q;
    bad.channels = 0;
    assert_int_equal(vsq_dequantize(&bad, y), VSQ_EINVAL);
    bad = q;
    bad.codes[3] = 99; /* int4 codes are -7..7 */
    assert_int_equal(vsq_dequantize(&bad, y), VSQ_EINVAL);
    assert_true(has("code 99"));
    bad.codes[3] = 0;
    vsq_qtensor_free(&q);

    f = fmt_of("int4:v8:s4");
    assert_int_equal(vsq_quantize(&f, x, 2, 16, 2, &q), VSQ_OK);
    bad = q;
    bad.n_vec = 1; /* really 2 */
    assert_int_equal(vsq_dequantize(&bad, y), VSQ_EINVAL);
    bad = q;
    bad.sq[0] = 16; /* 4-bit integer scales are 0..15 */
    assert_int_equal(vsq_gemm_ref(&bad, &q, 0, y, NULL), VSQ_EINVAL);
    assert_true(has("gemm activations"));
    bad.sq[0] = q.sq[0];
    vsq_qtensor_free(&q);
}

/* Before: rows * cols wrapped around to 16, and the quantizer returned a
 * "valid" tensor of 2^62 + 1 rows built from 16 values. */
static void test_size_overflow(void **state) {
    (void)state;
    float x[16] = {1, -1};
    vsq_format f = fmt_of("int8:pc");
    vsq_qtensor q;
    size_t rows = ((size_t)1 << 62) + 1;
    assert_int_equal(vsq_quantize(&f, x, rows, 16, 1, &q), VSQ_EINVAL);
    assert_true(has("overflow"));
}

/* Before: a shape of 4 x 65536 made numel 2^64 == 0: the manifest "loaded"
 * with a weight claiming 2^64 floats and no data. */
static void test_tfjs_shape_overflow(void **state) {
    (void)state;
    char dir[] = "/tmp/vsq_tfjs_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/model.json", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("{\"weightsManifest\":[{\"paths\":[\"s1\"],\"weights\":[{\"name\":\"w\","
          "\"shape\":[65536,65536,65536,65536],\"dtype\":\"float32\"}]}]}", fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/s1", dir);
    fclose(fopen(path, "w"));
    cnn_weights ws;
    void *root;
    vsq_status st = cnn_weights_load(dir, &ws, &root);
    if (st == VSQ_OK) {
        cnn_json_free(root);
        cnn_weights_free(&ws);
    }
    unlink(path);
    snprintf(path, sizeof path, "%s/model.json", dir);
    unlink(path);
    rmdir(dir);
    assert_int_equal(st, VSQ_EFORMAT);
    assert_true(has("overflows"));
}

/* int8 x int8, V = 4096, 16-bit scales: 28 + 32 bits per vector product.
 * 16 vectors fit int64 exactly (vsq_mac_acc_bits = 64); 64 vectors would
 * overflow it. Before: the reference GEMM returned a wrapped-around sum. */
static void test_gemm_ref_accumulator_bound(void **state) {
    (void)state;
    const size_t v = 4096;
    vsq_format f = fmt_of("int8:v4096:s16");
    for (size_t n_vec = 16; n_vec <= 64; n_vec *= 4) {
        size_t k = v * n_vec;
        float *x = malloc(k * sizeof *x);
        for (size_t i = 0; i < k; i++) x[i] = 1.0f;
        vsq_qtensor q;
        assert_int_equal(vsq_quantize(&f, x, 1, k, 1, &q), VSQ_OK);
        assert_int_equal(q.codes[0], 127);
        assert_int_equal(q.sq[0], 65535);
        float y;
        int64_t acc = 0;
        vsq_status st = vsq_gemm_ref(&q, &q, 0, &y, &acc);
        if (n_vec == 16) {
            assert_int_equal(st, VSQ_OK);
            /* exact: 16 * 127^2 * 4096 * 65535^2, below 2^63 */
            uint64_t want = (uint64_t)16 * 127 * 127 * 4096 * ((uint64_t)65535 * 65535);
            assert_true((uint64_t)acc == want);
        } else {
            assert_int_equal(st, VSQ_EUNSUPPORTED);
            assert_true(has("accumulator would need 66 bits"));
        }
        vsq_qtensor_free(&q);
        free(x);
    }
}

/* The packed GEMM's reference panel also sums in int64. Before: 4096
 * vectors of 64 int8 x int8 products with 16-bit scales (2^64) wrapped. */
static void test_gemm_packed_accumulator_bound(void **state) {
    (void)state;
    vsq_format f = fmt_of("int8:v64:s16");
    size_t k = 64 * 4096;
    float *x = malloc(k * sizeof *x);
    for (size_t i = 0; i < k; i++) x[i] = 1.0f;
    vsq_qtensor q;
    assert_int_equal(vsq_quantize(&f, x, 1, k, 1, &q), VSQ_OK);
    vsq_packed_w pw;
    vsq_packed_a pa;
    assert_int_equal(vsq_pack_weights(&q, &pw), VSQ_OK);
    assert_int_equal(vsq_pack_act(&q, &pa), VSQ_OK);
    float y;
    int64_t acc;
    assert_int_equal(vsq_gemm_packed(&pa, &pw, &y, &acc, 1), VSQ_EUNSUPPORTED);
    assert_true(has("int64"));
    pa.vec_len = pw.vec_len = 48; /* hand-edited struct: not a packed V */
    assert_int_equal(vsq_gemm_packed(&pa, &pw, &y, &acc, 1), VSQ_EINVAL);
    pa.vec_len = pw.vec_len = 64;
    vsq_packed_a_free(&pa);
    vsq_packed_w_free(&pw);
    vsq_qtensor_free(&q);
    free(x);
    vsq_packed_a p = {0};
    assert_int_equal(vsq_packed_a_reserve(&p, 1, 32), VSQ_EINVAL); /* K not padded to 64 */
}

/* Before: (long)(v + 0.5) rounded 0.49999999999999994 to 1 (the sum is
 * inexact) and 2^52 + 1 to 2^52 + 2. */
static void test_round_exact(void **state) {
    (void)state;
    assert_int_equal(vsq_round(0.49999999999999994), 0);
    assert_int_equal(vsq_round(-0.49999999999999994), 0);
    assert_int_equal(vsq_round(0.5), 1);
    assert_int_equal(vsq_round(-0.5), -1);
    assert_int_equal(vsq_round(2.5), 3);
    assert_int_equal(vsq_round(-2.5), -3);
    assert_int_equal(vsq_round(1.4999999999999998), 1);
    assert_true(vsq_round(4503599627370497.0) == 4503599627370497L);
    assert_true(vsq_round(-4503599627370497.0) == -4503599627370497L);
    assert_true(vsq_round(1e300) == LONG_MAX);
    assert_true(vsq_round(-1e300) == LONG_MIN);
    assert_int_equal(vsq_round(NAN), 0);
}

/* Kernel scratch of threads that exit is freed (before: leaked, reported
 * by LeakSanitizer). Threads also race on the first ISA choice. */
static void *use_scratch(void *arg) {
    (void)arg;
    vsq_isa isa = vsq_isa_active();
    for (int s = 0; s < VSQK_TLS_SLOTS; s++) {
        char *p = vsqk_tls_buffer(s, 5000 + 100 * (size_t)s);
        if (!p) return (void *)1;
        memset(p, 1, 5000);
    }
    return (void *)(intptr_t)(isa != vsq_isa_active());
}

static void test_thread_scratch_freed(void **state) {
    (void)state;
    size_t before = vsqk_tls_live_bytes();
    pthread_t t[4];
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&t[i], NULL, use_scratch, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *rc;
        assert_int_equal(pthread_join(t[i], &rc), 0);
        assert_null(rc);
    }
    assert_true(vsqk_tls_live_bytes() == before);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_limits_everywhere), cmocka_unit_test(test_zero_sizes),
        cmocka_unit_test(test_qtensor_checked),          cmocka_unit_test(test_size_overflow),
        cmocka_unit_test(test_tfjs_shape_overflow),      cmocka_unit_test(test_gemm_ref_accumulator_bound),
        cmocka_unit_test(test_gemm_packed_accumulator_bound), cmocka_unit_test(test_round_exact),
        cmocka_unit_test(test_thread_scratch_freed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
