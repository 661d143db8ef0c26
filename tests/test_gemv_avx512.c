/* The AVX-512 VNNI GEMV (src/kernels/x86/gemv_avx512.c) and its
 * activation layouts (src/kernels/gemv_act.c):
 *  - the kernel's y and int64 sums equal vsq_gemm_ref's bit for bit for
 *    every weight container (3/4/6/8-bit, intN / intNf / uintN), V =
 *    16/32/64, m = 1..3, N around the 4-panel groups, odd K, extreme codes
 *    and scales up to the path's limits (u8 weight scales, sa = 32767),
 *    run natively on an AVX-512 VNNI CPU and always through SIMDe
 *    (tests/gemv_avx512_emu.c);
 *  - what the path cannot do exactly is refused (sa > 32767, u16 / float
 *    scales, activations beyond int8);
 *  - the fused quantizer (fp32 -> int8 codes, lane terms, lane scales in
 *    one pass) gives exactly the layout built from vsq_quantize's codes
 *    and scales, and vsq_linear_q on it equals the reference. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels_internal.h"
#include "vsq/vsq.h"
#include "kernel_testutil.h"
#include "test_util.h"

#ifndef VSQ_NO_SIMDE
void vsqk_gemv_avx512emu(const vsq_packed_w *w, const vsqk_gemv_act *g, size_t p0, size_t p1,
                         float *y, int64_t *acc);
#endif

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) { return kt_rnd(&rng); }
static float gauss(void) { return kt_gauss(&rng, 1); }
static vsq_format F(const char *spec) { return kt_format(spec); }

/* The kernels this run can check: native if the CPU has AVX-512 VNNI,
 * the SIMDe twin if it was built. */
static vsqk_gemv_fn kernels[2];
static int n_kernels;

typedef struct {
    vsq_qtensor qw, qa;
    vsq_packed_w pw;
    vsq_packed_a pa;
    float *yref;
    int64_t *ref;
} operands;

static void make(operands *o, const char *wspec, const char *aspec, size_t m, size_t n, size_t k,
                 int extreme) {
    vsq_format fw = F(wspec), fa = F(aspec);
    float *xw = malloc(n * k * sizeof *xw), *xa = malloc(m * k * sizeof *xa);
    for (size_t i = 0; i < n * k; i++) xw[i] = gauss();
    for (size_t i = 0; i < m * k; i++) xa[i] = gauss();
    assert_int_equal(vsq_quantize(&fw, xw, n, k, n, &o->qw), VSQ_OK);
    assert_int_equal(vsq_quantize(&fa, xa, m, k, m, &o->qa), VSQ_OK);
    if (extreme) { /* codes at qmin (or qmax for uint), scales 2^M - 1 */
        int wmin = vsq_format_qmin(&fw), amin = vsq_format_qmin(&fa);
        for (size_t i = 0; i < n * k; i++)
            o->qw.codes[i] = (int16_t)(wmin ? wmin : vsq_format_qmax(&fw));
        for (size_t i = 0; i < m * k; i++)
            o->qa.codes[i] = (int16_t)(amin ? amin : vsq_format_qmax(&fa));
        for (size_t i = 0; i < n * o->qw.n_vec; i++) o->qw.sq[i] = (uint16_t)((1u << fw.scale_bits) - 1);
        for (size_t i = 0; i < m * o->qa.n_vec; i++) o->qa.sq[i] = (uint16_t)((1u << fa.scale_bits) - 1);
    }
    o->yref = malloc(m * n * sizeof *o->yref);
    o->ref = malloc(m * n * sizeof *o->ref);
    assert_int_equal(vsq_gemm_ref(&o->qa, &o->qw, 0, o->yref, o->ref), VSQ_OK);
    assert_int_equal(vsq_pack_act(&o->qa, &o->pa), VSQ_OK);
    assert_int_equal(vsq_pack_weights(&o->qw, &o->pw), VSQ_OK);
    free(xw), free(xa);
}

static void drop(operands *o) {
    vsq_packed_a_free(&o->pa);
    vsq_packed_w_free(&o->pw);
    vsq_qtensor_free(&o->qw);
    vsq_qtensor_free(&o->qa);
    free(o->yref), free(o->ref);
}

/* 1 if the path takes the pair (then every kernel is checked), 0 if refused. */
static int check(const char *wspec, const char *aspec, size_t m, size_t n, size_t k, int extreme) {
    operands o;
    make(&o, wspec, aspec, m, n, k, extreme);
    vsqk_gemv_act g;
    int ok = vsqk_gemv_act_from_packed(&o.pa, &o.pw, &g);
    if (ok) {
        float *y = malloc(m * n * sizeof *y);
        int64_t *acc = malloc(m * n * sizeof *acc);
        size_t np = o.pw.n_panels, split = np > 1 ? 1 + rnd() % (np - 1) : np;
        for (int kk = 0; kk < n_kernels; kk++) {
            memset(y, 0xff, m * n * sizeof *y);
            memset(acc, 0xff, m * n * sizeof *acc);
            kernels[kk](&o.pw, &g, 0, split, y, acc); /* two calls: panel ranges */
            kernels[kk](&o.pw, &g, split, np, y, acc);
            for (size_t i = 0; i < m * n; i++)
                if (acc[i] != o.ref[i]) {
                    fprintf(stderr, "%s x %s m=%zu n=%zu k=%zu kernel %d: [%zu] %lld != ref %lld\n",
                            wspec, aspec, m, n, k, kk, i, (long long)acc[i], (long long)o.ref[i]);
                    fail();
                }
            assert_memory_equal(y, o.yref, m * n * sizeof *y);
        }
        free(y), free(acc);
        vsqk_gemv_act_free(&g);
    }
    drop(&o);
    return ok;
}

static const char *const pairs[][2] = {
    {"int4:v16:s6", "int8:v16:s10"},  {"int8:v16:s6", "int8:v16:s10"},
    {"uint8:v16:s6", "int8f:v16:s8"}, {"int8f:v32:s8", "int8f:v32:s15"},
    {"int4f:v16:s6", "int8f:v16:s8"}, {"uint4:v32:s6", "int8:v32:s10"},
    {"int6:v16:s6", "int8:v16:s10"},  {"int5:v64:s8", "uint7:v64:s8"},
    {"int3:v16:s6", "int8:v16:s10"},  {"int2:v32:s3", "int4:v32:s4"},
    {"int7:v64:s4", "int8f:v64:s12"}, {"int4:v64:s8", "int4f:v64:s6"},
    {"uint4:v16:s8", "int8:v16:s15"}, {"int4:v32:s4", "int6:v32:s10"},
};
static const size_t n_pairs = sizeof pairs / sizeof pairs[0];

static void test_random(void **state) {
    (void)state;
    const size_t ks[] = {16, 17, 64, 100, 64 * 5 + 48, 64 * 21 + 5};
    const size_t ns[] = {1, 3, 4, 5, 13, 16, 17, 31, 36, 45};
    for (size_t p = 0; p < n_pairs; p++)
        for (size_t m = 1; m <= 3; m++)
            assert_true(check(pairs[p][0], pairs[p][1], m, ns[rnd() % 10], ks[rnd() % 6], 0));
}

/* Every code at its extreme, every scale at 2^M - 1 (sa up to 32767),
 * long K: the largest lane, dot and sum values the bounds allow. */
static void test_worst_case(void **state) {
    (void)state;
    for (size_t p = 0; p < n_pairs; p++)
        assert_true(check(pairs[p][0], pairs[p][1], 1 + p % 3, 17, 64 * 40 + 16, 1));
}

/* Not for this path: sa that vpmaddwd cannot take (s16), u16 weight
 * scales, single-level scales, activations beyond int8. */
static void test_refuses(void **state) {
    (void)state;
    assert_false(check("int4:v16:s6", "int8:v16:s16", 1, 5, 100, 1));
    assert_false(check("int4:v16:s12", "int8:v16:s10", 1, 5, 100, 0));
    assert_false(check("int8:v16:fp16", "int8:v16:fp16", 1, 5, 100, 0));
    assert_false(check("int4:v16:s6", "uint8:v16:s10", 2, 5, 100, 0));
    assert_false(check("int4:v16:s6", "int8:v16:s10", 4, 5, 100, 0)); /* GEMM shape */
}

/* The fused quantizer: the same layout as from vsq_quantize's codes and
 * scales, for random rows with outliers, zero vectors, a zero row and
 * values on rounding ties; and vsq_linear_q (on this CPU's active ISA)
 * equals vsq_gemm_ref's y. */
static void fused_case(const char *wspec, const char *aspec, size_t m, size_t n, size_t k) {
    vsq_format fw = F(wspec), fa = F(aspec);
    float *xw = malloc(n * k * sizeof *xw), *x = malloc(m * k * sizeof *x);
    for (size_t i = 0; i < n * k; i++) xw[i] = gauss();
    for (size_t i = 0; i < m * k; i++) x[i] = gauss();
    for (size_t e = 0; e < k && e < (size_t)fa.vec_len; e++) x[e] = 0.0f; /* a zero vector */
    if (m > 1) memset(x + k, 0, k * sizeof *x);                            /* a zero row */
    for (size_t e = (size_t)fa.vec_len; e + 1 < k && e < 3 * (size_t)fa.vec_len; e += 2)
        x[e] = (float)(e % 7) + 0.5f; /* halves: ties once divided by a power-of-two scale */
    vsq_qtensor qw, qa;
    vsq_packed_w pw;
    vsq_packed_a pa;
    memset(&pa, 0, sizeof pa);
    assert_int_equal(vsq_quantize(&fw, xw, n, k, n, &qw), VSQ_OK);
    assert_int_equal(vsq_pack_weights(&qw, &pw), VSQ_OK);
    assert_int_equal(vsq_quantize(&fa, x, m, k, m, &qa), VSQ_OK);
    assert_int_equal(vsq_pack_act(&qa, &pa), VSQ_OK);
    vsqk_gemv_act want, got;
    assert_true(vsqk_gemv_act_from_packed(&pa, &pw, &want));
    assert_int_equal(vsqk_gemv_act_quantize(&fa, x, m, &pw, &got), VSQ_OK);
    size_t kp = pw.kp;
    assert_memory_equal(got.c8, want.c8, m * kp);
    assert_memory_equal(got.corr, want.corr, m * kp / 4 * sizeof(int32_t));
    assert_memory_equal(got.sal, want.sal, m * kp / 4 * sizeof(int32_t));
    assert_memory_equal(got.gamma, want.gamma, m * sizeof(float));
    assert_int_equal(got.max_code, want.max_code);
    assert_int_equal(got.max_scale, want.max_scale);
    vsqk_gemv_act_free(&got);
    vsqk_gemv_act_free(&want);
    float *y = malloc(m * n * sizeof *y), *yref = malloc(m * n * sizeof *yref);
    assert_int_equal(vsq_gemm_ref(&qa, &qw, 0, yref, NULL), VSQ_OK);
    assert_int_equal(vsq_linear_q(&pw, &fa, x, m, NULL, y, 1, NULL), VSQ_OK);
    assert_memory_equal(y, yref, m * n * sizeof *y);
    vsq_qtensor_free(&qw), vsq_qtensor_free(&qa);
    vsq_packed_w_free(&pw), vsq_packed_a_free(&pa);
    free(xw), free(x), free(y), free(yref);
}

static void test_fused_quantizer(void **state) {
    (void)state;
    if (!vsq_isa_available(VSQ_ISA_AVX2)) skip(); /* the row quantizer is AVX2 code */
    const size_t ks[] = {16, 64, 100, 64 * 3 + 40, 1000};
    for (size_t p = 0; p < n_pairs; p++)
        for (size_t m = 1; m <= 3; m++) fused_case(pairs[p][0], pairs[p][1], m, 1 + rnd() % 21, ks[rnd() % 5]);
}

/* The fused path's errors: a NaN is reported as vsq_quantize reports it. */
static void test_fused_nonfinite(void **state) {
    (void)state;
    if (!vsq_isa_available(VSQ_ISA_AVX2)) skip();
    vsq_format fw = F("int4:v16:s6"), fa = F("int8:v16:s10");
    size_t n = 8, k = 80;
    float *xw = malloc(n * k * sizeof *xw), x[2 * 80], y[2 * 8];
    for (size_t i = 0; i < n * k; i++) xw[i] = gauss();
    for (size_t i = 0; i < 2 * k; i++) x[i] = gauss();
    x[k + 70] = NAN;
    vsq_packed_w pw;
    assert_int_equal(vsq_quantize_pack_weights(&fw, xw, n, k, &pw), VSQ_OK);
    vsqk_gemv_act g;
    assert_int_equal(vsqk_gemv_act_quantize(&fa, x, 2, &pw, &g), VSQ_ENONFINITE);
    assert_int_equal(vsq_linear_q(&pw, &fa, x, 2, NULL, y, 1, NULL), VSQ_ENONFINITE);
    vsq_packed_w_free(&pw);
    free(xw);
}

int main(void) {
    if (vsq_isa_available(VSQ_ISA_AVX512)) kernels[n_kernels++] = vsqk_gemv_avx512;
#ifndef VSQ_NO_SIMDE
    kernels[n_kernels++] = vsqk_gemv_avx512emu;
#endif
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),       cmocka_unit_test(test_worst_case),
        cmocka_unit_test(test_refuses),      cmocka_unit_test(test_fused_quantizer),
        cmocka_unit_test(test_fused_nonfinite),
    };
    if (!n_kernels) fprintf(stderr, "no AVX-512 CPU and no SIMDe: only the layouts are checked\n");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
