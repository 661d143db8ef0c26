/* Spec-string grammar and the paper's W/A/ws/as notation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "vsq/vsq.h"

static void roundtrip(const char *spec, const char *canonical) {
    vsq_format f;
    assert_int_equal(vsq_format_parse(spec, &f), VSQ_OK);
    char buf[128];
    vsq_format_str(&f, buf, sizeof buf);
    assert_string_equal(buf, canonical);
    vsq_format g;
    char again[128];
    assert_int_equal(vsq_format_parse(buf, &g), VSQ_OK);
    vsq_format_str(&g, again, sizeof again);
    assert_string_equal(again, buf);
}

static void test_examples_from_issue(void **state) {
    (void)state;
    roundtrip("int4:v16:s6", "int4:v16:s6:max");
    roundtrip("uint8:pt:fp32:entropy", "uint8:pt:fp32:entropy");
    roundtrip("int8:pc", "int8:pc:fp32:max");
    roundtrip("int4:v32:e8m0", "int4:v32:e8m0:max");
    roundtrip("int3:v16:fp32:octav", "int3:v16:fp32:octav");
    roundtrip("int4f:v32:fp16", "int4f:v32:fp16:max");
    roundtrip("int6:v16:s6r@pt", "int6:v16:s6r@pt:max");
    roundtrip("int4:v16:s4c:mse", "int4:v16:s4c:mse");
    roundtrip("int8:pt:p99.99", "int8:pt:fp32:p99.99");
}

static void test_fields(void **state) {
    (void)state;
    vsq_format f;
    assert_int_equal(vsq_format_parse("int4f:v16:s6r@pt:p99.9", &f), VSQ_OK);
    assert_int_equal(f.elem, VSQ_ELEM_INTF);
    assert_int_equal(f.bits, 4);
    assert_int_equal(f.gran, VSQ_GRAN_VECTOR);
    assert_int_equal(f.vec_len, 16);
    assert_int_equal(f.scale, VSQ_SCALE_TWO_LEVEL);
    assert_int_equal(f.scale_bits, 6);
    assert_int_equal(f.variant, VSQ_TWOLEVEL_REFINED);
    assert_int_equal(f.coarse_per_tensor, 1);
    assert_int_equal(f.calib, VSQ_CALIB_PERCENTILE);
    assert_true(f.percentile == 99.9);
    /* ranges (eq. 2 and docs/formats.md) */
    assert_int_equal(vsq_format_qmin(&f), -8);
    assert_int_equal(vsq_format_qmax(&f), 7);
    assert_int_equal(vsq_format_parse("int4:pt", &f), VSQ_OK);
    assert_int_equal(vsq_format_qmin(&f), -7);
    assert_int_equal(vsq_format_parse("uint3:pt", &f), VSQ_OK);
    assert_int_equal(vsq_format_qmin(&f), 0);
    assert_int_equal(vsq_format_qmax(&f), 7);
}

static void test_rejects(void **state) {
    (void)state;
    const char *bad[] = {"", "int4", "int9:pt", "int1:pt", "float4:pt", "int4:v0", "int4:v",
                         "int4:pc:s6", "int4:v16:s0", "int4:v16:s17", "int4:v16:s6@pc",
                         "int4:v16:fp8", "int4:v16:p0", "int4:v16:p101", "int4:v16:fp32:max:x",
                         "int4::fp32", "uint4f:pt", "int4:v16:fp32:kl", "int4:v16:s6x",
                         "int4:v99999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vsq_format f;
        assert_int_equal(vsq_format_parse(bad[i], &f), VSQ_EINVAL);
        assert_true(strlen(vsq_last_error()) > 0);
    }
}

static void test_bits_per_elem(void **state) {
    (void)state;
    vsq_format f;
    /* paper 4.4: N = M = 4, V = 16 -> 4.25 bits plus the amortised gamma */
    assert_int_equal(vsq_format_parse("int4:v16:s4", &f), VSQ_OK);
    double b = vsq_format_bits_per_elem(&f, 64, 256, 64);
    assert_true(fabs(b - (4.25 + 32.0 / 256.0)) < 1e-12);
    assert_int_equal(vsq_format_parse("int4:v32:fp16", &f), VSQ_OK);
    assert_true(fabs(vsq_format_bits_per_elem(&f, 8, 64, 8) - 4.5) < 1e-12); /* Q4_0-like */
    assert_int_equal(vsq_format_parse("int8:pt", &f), VSQ_OK);
    assert_true(fabs(vsq_format_bits_per_elem(&f, 2, 16, 2) - 9.0) < 1e-12);
}

static void test_layer_cfg(void **state) {
    (void)state;
    vsq_layer_cfg c;
    char w[128], a[128];
    assert_int_equal(vsq_layer_cfg_parse("4/8/6/10", 16, &c), VSQ_OK);
    vsq_format_str(&c.w, w, sizeof w);
    vsq_format_str(&c.a, a, sizeof a);
    assert_string_equal(w, "int4:v16:s6:max");
    assert_string_equal(a, "int8:v16:s10:max");
    assert_int_equal(vsq_layer_cfg_parse("8/8/-/-", 16, &c), VSQ_OK);
    vsq_format_str(&c.w, w, sizeof w);
    vsq_format_str(&c.a, a, sizeof a);
    assert_string_equal(w, "int8:pc:fp32:max");
    assert_string_equal(a, "int8:pt:fp32:max");
    assert_int_equal(vsq_layer_cfg_parse("4/4U/4/4", 16, &c), VSQ_OK);
    assert_int_equal(c.a.elem, VSQ_ELEM_UINT);
    assert_int_equal(vsq_layer_cfg_parse("6/8/6/-", 16, &c), VSQ_OK);
    assert_int_equal(c.w.scale, VSQ_SCALE_TWO_LEVEL);
    assert_int_equal(c.a.gran, VSQ_GRAN_TENSOR);
    assert_int_equal(vsq_layer_cfg_parse("4/8/fp32/fp16", 16, &c), VSQ_OK);
    assert_int_equal(c.a.scale, VSQ_SCALE_FP16);
    assert_int_equal(vsq_layer_cfg_parse("4/8/6", 16, &c), VSQ_EINVAL);
    assert_int_equal(vsq_layer_cfg_parse("9/8/6/10", 16, &c), VSQ_EINVAL);
    assert_int_equal(vsq_layer_cfg_parse("4/8/x/10", 16, &c), VSQ_EINVAL);
    assert_int_equal(vsq_layer_cfg_parse("4/8/6/10", 0, &c), VSQ_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_from_issue), cmocka_unit_test(test_fields),
        cmocka_unit_test(test_rejects), cmocka_unit_test(test_bits_per_elem),
        cmocka_unit_test(test_layer_cfg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
