/* The int8 GEMV path (vpmaddubsw on unsigned stored codes plus an
 * activation-side offset correction, int32 per-vector sums, int64 products
 * with the activation scale): it must be taken for every 3/4/6-bit weight
 * container with u8 scales and int8-range activations, and give the int64
 * accumulators and outputs of vsq_gemm_ref bit for bit, including long K,
 * K not a multiple of V or 64, every code at its extreme and every integer
 * scale at 2^M - 1; with single-level float scales (fp16/fp32/e8m0) it
 * must agree within fp32 rounding; and it must refuse operand pairs where
 * vpmaddubsw could saturate or the layout does not fit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels_internal.h"
#include "vsq/vsq.h"
#include "kernel_testutil.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) { return kt_rnd(&rng); }
static float gauss(void) { return kt_gauss(&rng, 1); }
static vsq_format F(const char *spec) { return kt_format(spec); }

/* Quantize random (or extreme) operands, pack them, run the packed GEMV
 * on every ISA and compare with vsq_gemm_ref; returns whether the int8
 * path accepted the pair. */
static int run_case(const char *wspec, const char *aspec, size_t m, size_t n, size_t k,
                    int extreme) {
    vsq_format fw = F(wspec), fa = F(aspec);
    float *xw = malloc(n * k * sizeof *xw), *xa = malloc(m * k * sizeof *xa);
    for (size_t i = 0; i < n * k; i++) xw[i] = gauss();
    for (size_t i = 0; i < m * k; i++) xa[i] = gauss();
    vsq_qtensor qw, qa;
    assert_int_equal(vsq_quantize(&fw, xw, n, k, n, &qw), VSQ_OK);
    assert_int_equal(vsq_quantize(&fa, xa, m, k, m, &qa), VSQ_OK);
    int two = qw.sq != NULL;
    if (extreme) {
        int wmin = vsq_format_qmin(&fw), amin = vsq_format_qmin(&fa), amax = vsq_format_qmax(&fa);
        for (size_t i = 0; i < n * k; i++) qw.codes[i] = (int16_t)(wmin ? wmin : vsq_format_qmax(&fw));
        for (size_t i = 0; i < m * k; i++) qa.codes[i] = (int16_t)(amin ? amin : amax);
        for (size_t i = 0; two && i < n * qw.n_vec; i++) qw.sq[i] = (uint16_t)((1u << fw.scale_bits) - 1);
        for (size_t i = 0; two && i < m * qa.n_vec; i++) qa.sq[i] = (uint16_t)((1u << fa.scale_bits) - 1);
    }
    float *yr = malloc(m * n * sizeof *yr), *y = malloc(m * n * sizeof *y);
    int64_t *ar = malloc(m * n * sizeof *ar), *ac = malloc(m * n * sizeof *ac);
    assert_int_equal(vsq_gemm_ref(&qa, &qw, 0, yr, ar), VSQ_OK);
    vsq_packed_a pa;
    vsq_packed_w pw;
    assert_int_equal(vsq_pack_act(&qa, &pa), VSQ_OK);
    assert_int_equal(vsq_pack_weights(&qw, &pw), VSQ_OK);
    vsqk_gemv8 g;
    int taken = vsqk_gemv8_prepare(&pa, &pw, &g, VSQ_ISA_AVX2);
    vsqk_gemv8_free(&g);
    /* the vpdpbusd GEMV (AVX-VNNI, AVX-512) takes every two-level u8-scale
     * pair with int8-range activations (no int16 lanes to overflow) */
    if (two && m < 4 && pw.stype == VSQ_PSCALE_U8 && fa.elem != VSQ_ELEM_UINT && fa.bits <= 8) {
        assert_true(vsqk_gemv8_prepare(&pa, &pw, &g, VSQ_ISA_AVXVNNI));
        vsqk_gemv8_free(&g);
    }
    for (int isa = 0; isa <= VSQ_ISA_AVXVNNI; isa++) {
        if (!vsq_isa_available((vsq_isa)isa)) continue;
        assert_int_equal(vsq_isa_force(isa), VSQ_OK);
        for (int threads = 1; threads <= 2; threads++) {
            memset(y, 0, m * n * sizeof *y);
            assert_int_equal(vsq_gemm_packed(&pa, &pw, y, ac, threads), VSQ_OK);
            /* two-level: bit-identical; float scales: double sums in another
             * order, so y within a few fp32 ulps */
            int bad = two ? memcmp(ac, ar, m * n * sizeof *ac) || memcmp(y, yr, m * n * sizeof *y) : 0;
            for (size_t i = 0; !two && i < m * n; i++)
                bad |= fabs((double)y[i] - yr[i]) > 4e-7 * fabs(yr[i]) + 1e-12;
            if (bad) {
                fprintf(stderr, "%s x %s m=%zu n=%zu k=%zu isa=%s: differs from vsq_gemm_ref\n",
                        wspec, aspec, m, n, k, vsq_isa_name((vsq_isa)isa));
                fail();
            }
        }
    }
    vsq_isa_force(-1);
    vsq_packed_a_free(&pa);
    vsq_packed_w_free(&pw);
    vsq_qtensor_free(&qw);
    vsq_qtensor_free(&qa);
    free(xw), free(xa), free(yr), free(y), free(ar), free(ac);
    return taken;
}

/* Pairs the int8 path must take: 3/4/6-bit weight containers, u8 scales,
 * activations that fit int8. */
static const char *const exact_pairs[][2] = {
    {"int4:v16:s6", "int8:v16:s10"}, {"int4:v16:s4", "int4:v16:s4"},
    {"int4f:v16:s6", "int8f:v16:s8"}, {"uint4:v32:s6", "int8:v32:s10"},
    {"int6:v16:s6", "int8:v16:s10"},  {"int5:v32:s8", "int8:v32:s8"},
    {"int3:v16:s6", "int8:v16:s10"},  {"int2:v64:s3", "int7:v64:s12"},
    {"int4:v64:s8", "uint7:v64:s10"}, {"int6:v64:s4", "int8f:v64:s10"},
    {"int3:v32:s8", "int4f:v32:s6"},  {"int8:v16:s6", "int8:v16:s10"},
    {"int8f:v32:s8", "int8:v32:s8"},  {"int8:v64:s4", "uint7:v64:s12"},
};

/* Single-level float scales (fp16, fp32, e8m0) on the same path. */
static const char *const float_pairs[][2] = {
    {"int4:v32:fp16", "int8:v32:fp16"}, {"int4:v16:fp32", "int8:v16:fp32"},
    {"int4f:v32:fp16", "int8f:v32:fp16"}, {"int6:v64:fp16", "int8:v64:fp32"},
    {"int3:v32:e8m0", "int8:v32:e8m0"},   {"int8:v16:fp32", "int8:v16:fp16"},
};

static void test_float_scales(void **state) {
    (void)state;
    const size_t ks[] = {16, 17, 100, 64 * 9 + 48, 64 * 33 + 5};
    for (size_t p = 0; p < sizeof float_pairs / sizeof *float_pairs; p++)
        for (int rep = 0; rep < 4; rep++) {
            size_t m = 1 + (size_t)rep % 3, n = rep == 3 ? 197 : 1 + rnd() % 11, k = ks[rnd() % 5];
            int taken = run_case(float_pairs[p][0], float_pairs[p][1], m, n, k, rep == 2);
            if (vsq_isa_available(VSQ_ISA_AVX2) && !taken) {
                fprintf(stderr, "int8 GEMV path not taken for %s x %s\n", float_pairs[p][0],
                        float_pairs[p][1]);
                fail();
            }
        }
}

static void test_matches_reference(void **state) {
    (void)state;
    const size_t ks[] = {16, 17, 64, 100, 64 * 9 + 48, 64 * 33 + 5};
    for (size_t p = 0; p < sizeof exact_pairs / sizeof *exact_pairs; p++)
        for (int rep = 0; rep < 4; rep++) {
            /* n = 197: several blocks of 16 panels, split over threads */
            size_t m = 1 + (size_t)rep % 3, n = rep == 3 ? 197 : 1 + rnd() % 11, k = ks[rnd() % 6];
            int taken = run_case(exact_pairs[p][0], exact_pairs[p][1], m, n, k, 0);
            if (vsq_isa_available(VSQ_ISA_AVX2) && !taken) {
                fprintf(stderr, "int8 GEMV path not taken for %s x %s\n", exact_pairs[p][0],
                        exact_pairs[p][1]);
                fail();
            }
        }
}

/* Extreme codes and scales, K = 64*200 + 16: the int32 row sums at their
 * largest, and int64 sums far beyond 2^32. */
static void test_worst_case(void **state) {
    (void)state;
    for (size_t p = 0; p < sizeof exact_pairs / sizeof *exact_pairs; p++) {
        int taken = run_case(exact_pairs[p][0], exact_pairs[p][1], 1 + p % 3, 5, 64 * 200 + 16, 1);
        if (vsq_isa_available(VSQ_ISA_AVX2)) assert_true(taken);
    }
}

/* Pairs the path must refuse (uint8 weights would saturate vpmaddubsw;
 * an activation code -128 cannot be negated by vpsignb for 8-bit weights;
 * uint8 activations do not fit int8; 16-bit scales do not fit the u8
 * scale layout; GEMM shapes are not GEMV) - and still be right. */
static void test_refuses(void **state) {
    (void)state;
    assert_int_equal(run_case("uint8:v16:s6", "int8:v16:s10", 1, 7, 200, 0), 0);
    assert_int_equal(run_case("int8:v16:s6", "int8f:v16:s10", 1, 7, 200, 1), 0);
    assert_int_equal(run_case("int4:v16:s6", "uint8:v16:s10", 2, 7, 200, 0), 0);
    assert_int_equal(run_case("int4:v16:s12", "int8:v16:s10", 1, 7, 200, 0), 0);
    assert_int_equal(run_case("int4:v16:s6", "int8:v16:s10", 4, 7, 200, 0), 0);
    assert_int_equal(run_case("int4:v16:fp16", "uint8:v16:fp16", 1, 7, 200, 0), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_reference),
        cmocka_unit_test(test_worst_case),
        cmocka_unit_test(test_float_scales),
        cmocka_unit_test(test_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
