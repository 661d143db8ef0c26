/* The blocked N-in-lanes int8 GEMM (src/kernels/gemm8.c with the AVX-512
 * VNNI micro-kernels of x86/gemm8_avx512.c) against vsq_gemm_ref: the
 * int64 accumulators and y must be bit-identical, for every weight
 * container (3/4/6/8-bit, intN/intNf/uintN), V = 16/32/64, u8 and u16
 * weight scales, int8 and uint8 activations, shapes that are not multiples of the tile (MR = 4 rows,
 * 32 channels), of the 256-channel work item or of the activation block,
 * 1 and 2 threads; at the edges of the two bounds the driver decides on
 * (every |dot| in int16 -> vpmaddwd, dot * sw in int32 -> this path at
 * all), and with sums beyond 2^53 (exact only in int64).
 * Runs the native kernels where the CPU has AVX-512 VNNI and the same
 * source compiled against SIMDe (tests/avx512_emu.c) everywhere; skips
 * only when neither exists. */
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
void vsqk_g8_pack_b_avx512emu(const vsq_packed_w *w, size_t group, uint8_t *dst, int ua);
void vsqk_g8_block_avx512emu(const vsqk_g8_ablock *ab, const uint8_t *b, const vsqk_g8_out *o);
#endif

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) { return kt_rnd(&rng); }

typedef struct {
    const char *name;
    vsqk_g8_pack_fn pack;
    vsqk_g8_block_fn block;
} variant;

static variant variants[2];
static int n_variants;

static int setup(void **state) {
    (void)state;
    n_variants = 0;
    if (vsq_isa_available(VSQ_ISA_AVX512))
        variants[n_variants++] = (variant){"avx512", vsqk_g8_pack_b_avx512, vsqk_g8_block_avx512};
#ifndef VSQ_NO_SIMDE
    variants[n_variants++] =
        (variant){"avx512emu", vsqk_g8_pack_b_avx512emu, vsqk_g8_block_avx512emu};
#endif
    return 0;
}

typedef struct {
    vsq_qtensor qw, qa;
    vsq_packed_w pw;
    vsq_packed_a pa;
    int64_t *ref;
    float *yref;
} operands;

/* extreme: every code at the format's minimum (or maximum if that is 0)
 * and every integer scale at sw / sa (0: leave the quantizer's). */
static void make(operands *o, const char *wspec, const char *aspec, size_t m, size_t n, size_t k,
                 int extreme, unsigned sw, unsigned sa) {
    vsq_format fw = kt_format(wspec), fa = kt_format(aspec);
    float *xw = malloc(n * k * sizeof *xw), *xa = malloc(m * k * sizeof *xa);
    for (size_t i = 0; i < n * k; i++) xw[i] = kt_gauss(&rng, 1);
    for (size_t i = 0; i < m * k; i++) xa[i] = kt_gauss(&rng, 1);
    assert_int_equal(vsq_quantize(&fw, xw, n, k, n, &o->qw), VSQ_OK);
    assert_int_equal(vsq_quantize(&fa, xa, m, k, m, &o->qa), VSQ_OK);
    if (extreme) {
        int wmin = vsq_format_qmin(&fw), amin = vsq_format_qmin(&fa);
        for (size_t i = 0; i < n * k; i++)
            o->qw.codes[i] = (int16_t)(wmin ? wmin : vsq_format_qmax(&fw));
        for (size_t i = 0; i < m * k; i++)
            o->qa.codes[i] = (int16_t)(amin ? amin : vsq_format_qmax(&fa));
    }
    if (sw)
        for (size_t i = 0; i < n * o->qw.n_vec; i++) o->qw.sq[i] = (uint16_t)sw;
    if (sa)
        for (size_t i = 0; i < m * o->qa.n_vec; i++) o->qa.sq[i] = (uint16_t)sa;
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
    free(o->ref), free(o->yref);
}

/* Every variant, 1 and 2 threads: acc and y bit-identical to the reference. */
static void compare(const operands *o, const char *what) {
    size_t mn = o->pa.m * o->pw.n;
    int64_t *acc = malloc(mn * sizeof *acc);
    float *y = malloc(mn * sizeof *y);
    for (int v = 0; v < n_variants; v++)
        for (int t = 1; t <= 2; t++) {
            memset(acc, 0x55, mn * sizeof *acc);
            memset(y, 0x55, mn * sizeof *y);
            assert_int_equal(vsqk_g8_gemm(&o->pa, &o->pw, y, acc, t, variants[v].pack,
                                          variants[v].block),
                             VSQ_OK);
            for (size_t i = 0; i < mn; i++)
                if (acc[i] != o->ref[i] || memcmp(&y[i], &o->yref[i], sizeof *y)) {
                    fprintf(stderr, "%s %s t=%d m=%zu n=%zu k=%zu: [%zu] %lld != ref %lld\n",
                            variants[v].name, what, t, o->pa.m, o->pw.n, o->pw.k, i,
                            (long long)acc[i], (long long)o->ref[i]);
                    fail();
                }
        }
    free(acc), free(y);
}

static void check(const char *wspec, const char *aspec, size_t m, size_t n, size_t k) {
    operands o;
    make(&o, wspec, aspec, m, n, k, 0, 0, 0);
    assert_true(vsqk_g8_supported(&o.pa, &o.pw));
    compare(&o, wspec);
    drop(&o);
}

static const char *const pairs[][2] = {
    {"int4:v16:s6", "int8:v16:s10"},  {"int8:v16:s6", "int8:v16:s10"},
    {"uint8:v16:s6", "int8f:v16:s8"}, {"int8f:v32:s8", "int8f:v32:s16"},
    {"int4f:v16:s6", "int8f:v16:s8"}, {"uint4:v32:s6", "int8:v32:s10"},
    {"int6:v16:s6", "int8:v16:s10"},  {"int5:v64:s8", "uint7:v64:s8"},
    {"int3:v16:s6", "int8:v16:s10"},  {"int2:v32:s3", "int4:v32:s4"},
    {"int7:v64:s4", "int8f:v64:s12"}, {"int4:v64:s8", "int4f:v64:s6"},
    {"int4:v16:s12", "int8:v16:s8"},  {"int8:v32:s16", "int4:v32:s4"},
    /* uint8 activations (ReLU outputs, the CNN's 8U): the swapped form */
    {"int8:v16:s6", "uint8:v16:s10"}, {"int4:v32:s6", "uint8:v32:s8"},
    {"uint7:v16:s6", "uint8:v16:s8"}, {"int8f:v64:s8", "uint8:v64:s6"},
    {"int3:v16:s4", "uint8:v16:s6"},  {"int6:v32:s12", "uint8:v32:s8"},
};
static const size_t n_pairs = sizeof pairs / sizeof pairs[0];

/* Small random shapes around the tile edges, every operand pair. */
static void test_pairs(void **state) {
    (void)state;
    if (!n_variants) skip();
    const size_t ks[] = {1, 16, 17, 64, 100, 64 * 5 + 48};
    for (size_t p = 0; p < n_pairs; p++)
        for (int rep = 0; rep < 3; rep++)
            check(pairs[p][0], pairs[p][1], 4 + rnd() % 10, 1 + rnd() % 70, ks[rnd() % 6]);
}

/* Several activation blocks (m beyond the block rows) and work items
 * (n beyond 256 channels), n and m not multiples of anything. */
static void test_blocks(void **state) {
    (void)state;
    if (!n_variants) skip();
    check("int4:v16:s6", "int8:v16:s10", 263, 301, 200);
    check("int8:v64:s6", "int8:v64:s10", 517, 37, 64 * 33 + 5);
    check("int3:v32:s6", "int8:v32:s10", 6, 549, 96);
}

/* The vpmaddwd choice at its edge: V * max|w| * max|a| = 16 * 16 * 127 =
 * 32512 fits int16 (every dot of all-extreme codes is exactly that), with
 * -128 activations it is 32768 and the kernel must use vpmulld. */
static void test_int16_edge(void **state) {
    (void)state;
    if (!n_variants) skip();
    operands o;
    make(&o, "int5f:v16:s8", "int8:v16:s8", 6, 40, 64 * 3 + 16, 1, 255, 255);
    assert_true(vsqk_g8_mul16(&o.pa, &o.pw));
    compare(&o, "dot 32512 (vpmaddwd)");
    drop(&o);
    make(&o, "int5f:v16:s8", "int8f:v16:s8", 6, 40, 64 * 3 + 16, 1, 255, 255);
    assert_false(vsqk_g8_mul16(&o.pa, &o.pw));
    compare(&o, "dot 32768 (vpmulld)");
    drop(&o);
}

/* dot * sw in int32 at its edge: 64 * 128 * 128 * 2047 = 2^31 - 2^20 is
 * taken (t is formed exactly), sw = 2048 reaches 2^31 and is refused (the
 * packed GEMM then takes another kernel, still exact). With sa = 65535 and
 * K = 8256 the sums reach 2^54.4: exact only in int64. */
static void test_int32_edge_and_int64_sums(void **state) {
    (void)state;
    if (!n_variants) skip();
    operands o;
    make(&o, "int8f:v64:s12", "int8f:v64:s16", 5, 35, 64 * 129, 1, 2047, 65535);
    assert_true(vsqk_g8_supported(&o.pa, &o.pw));
    assert_false(vsqk_g8_mul16(&o.pa, &o.pw));
    assert_true((double)o.ref[0] > 9007199254740992.0); /* 2^53 */
    compare(&o, "t = 2^31 - 2^20");
    drop(&o);
    make(&o, "int8f:v64:s12", "int8f:v64:s16", 5, 35, 64 * 3, 1, 2048, 65535);
    assert_false(vsqk_g8_supported(&o.pa, &o.pw));
    int64_t *acc = malloc(5 * 35 * sizeof *acc);
    float *y = malloc(5 * 35 * sizeof *y);
    assert_int_equal(vsq_gemm_packed(&o.pa, &o.pw, y, acc, 2), VSQ_OK);
    assert_memory_equal(acc, o.ref, 5 * 35 * sizeof *acc);
    assert_memory_equal(y, o.yref, 5 * 35 * sizeof *y);
    free(acc), free(y);
    drop(&o);
}

/* All-extreme uint8 activations (255) against -128 weights. */
static void test_uint8_extreme(void **state) {
    (void)state;
    if (!n_variants) skip();
    operands o;
    make(&o, "int8f:v16:s8", "uint8:v16:s8", 7, 45, 64 * 4 + 16, 1, 255, 255);
    assert_true(vsqk_g8_supported(&o.pa, &o.pw) && vsqk_g8_ua(&o.pa));
    compare(&o, "uint8 x int8f extremes");
    drop(&o);
}

/* Not for this path: uint8 x uint8 (neither operand signed), single-level
 * scales. */
static void test_refuses(void **state) {
    (void)state;
    operands o;
    make(&o, "uint8:v16:s6", "uint8:v16:s10", 4, 5, 100, 0, 0, 0);
    assert_false(vsqk_g8_supported(&o.pa, &o.pw));
    drop(&o);
    vsq_format fw = kt_format("int8:v16:fp16");
    float x[4 * 64];
    for (int i = 0; i < 4 * 64; i++) x[i] = kt_gauss(&rng, 0);
    vsq_packed_w pw;
    vsq_packed_a pa;
    memset(&pa, 0, sizeof pa);
    assert_int_equal(vsq_quantize_pack_weights(&fw, x, 4, 64, &pw), VSQ_OK);
    assert_int_equal(vsq_quantize_act(&fw, x, 4, 64, &pa), VSQ_OK);
    assert_false(vsqk_g8_supported(&pa, &pw));
    vsq_packed_w_free(&pw);
    vsq_packed_a_free(&pa);
}

int main(void) {
    setup(NULL);
    if (!n_variants) test_skip_program("no AVX-512 VNNI CPU and no SIMDe: int8 GEMM not checked");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_int16_edge),
        cmocka_unit_test(test_int32_edge_and_int64_sums),
        cmocka_unit_test(test_uint8_extreme),
        cmocka_unit_test(test_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
