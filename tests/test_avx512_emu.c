/* The AVX-512 VNNI micro-kernels (src/kernels/x86/vnni_avx512.c) and the
 * AVX-VNNI GEMV (src/kernels/x86/gemv8_avxvnni.c), compiled against SIMDe's
 * portable intrinsics (tests/avx512_emu.c, tests/avxvnni_emu.c), against the
 * reference: GEMV (m < 4) and GEMM panel kernels must give vsq_gemm_ref's
 * int64 accumulators bit for bit for every weight container (3/4/6/8-bit,
 * intN / intNf / uintN), V = 16/32/64, odd K and N, extreme codes and
 * scales; and vsqk_gemv8_prepare must refuse what the path cannot do.
 * This checks the kernels' logic on any CPU; on an AVX-512 VNNI CPU the
 * native build also runs in test_kernels and test_gemv8 (VSQ_ISA=avx512,
 * VSQ_ISA=avxvnni). */
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
void vsqk_gemv8_avx512emu(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0, size_t p1,
                          void *out, const vsqk_gemv8 *g);
void vsqk_gemv8_avxvnniemu(const vsq_packed_a *a, const vsq_packed_w *w, size_t p0, size_t p1,
                           void *out, const vsqk_gemv8 *g);
void vsqk_panel_avx512emu(const vsq_packed_a *a, const vsq_packed_w *w, size_t panel, size_t i0,
                          size_t i1, void *out, void *scratch, const vsqk_gemv8 *g8);

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void) { return kt_rnd(&rng); }
static float gauss(void) { return kt_gauss(&rng, 1); }
static vsq_format F(const char *spec) { return kt_format(spec); }

typedef struct {
    vsq_qtensor qw, qa;
    vsq_packed_w pw;
    vsq_packed_a pa;
    int64_t *ref;
} operands;

/* Quantized random (or extreme) operands, packed, with the reference sums. */
static void make(operands *o, const char *wspec, const char *aspec, size_t m, size_t n, size_t k,
                 int extreme) {
    vsq_format fw = F(wspec), fa = F(aspec);
    float *xw = malloc(n * k * sizeof *xw), *xa = malloc(m * k * sizeof *xa);
    for (size_t i = 0; i < n * k; i++) xw[i] = gauss();
    for (size_t i = 0; i < m * k; i++) xa[i] = gauss();
    assert_int_equal(vsq_quantize(&fw, xw, n, k, n, &o->qw), VSQ_OK);
    assert_int_equal(vsq_quantize(&fa, xa, m, k, m, &o->qa), VSQ_OK);
    if (extreme) {
        int wmin = vsq_format_qmin(&fw), amin = vsq_format_qmin(&fa);
        for (size_t i = 0; i < n * k; i++)
            o->qw.codes[i] = (int16_t)(wmin ? wmin : vsq_format_qmax(&fw));
        for (size_t i = 0; i < m * k; i++)
            o->qa.codes[i] = (int16_t)(amin ? amin : vsq_format_qmax(&fa));
        for (size_t i = 0; i < n * o->qw.n_vec; i++) o->qw.sq[i] = (uint16_t)((1u << fw.scale_bits) - 1);
        for (size_t i = 0; i < m * o->qa.n_vec; i++) o->qa.sq[i] = (uint16_t)((1u << fa.scale_bits) - 1);
    }
    float *y = malloc(m * n * sizeof *y);
    o->ref = malloc(m * n * sizeof *o->ref);
    assert_int_equal(vsq_gemm_ref(&o->qa, &o->qw, 0, y, o->ref), VSQ_OK);
    assert_int_equal(vsq_pack_act(&o->qa, &o->pa), VSQ_OK);
    assert_int_equal(vsq_pack_weights(&o->qw, &o->pw), VSQ_OK);
    free(xw), free(xa), free(y);
}

static void drop(operands *o) {
    vsq_packed_a_free(&o->pa);
    vsq_packed_w_free(&o->pw);
    vsq_qtensor_free(&o->qw);
    vsq_qtensor_free(&o->qa);
    free(o->ref);
}

/* Emulated kernel sums for every (activation row, weight row): the
 * AVX-512 kernels, or (vnni256) the AVX-VNNI GEMV. */
static void emulated_sums(const operands *o, const vsqk_gemv8 *g, int64_t *got, int vnni256) {
    size_t m = o->pa.m, n = o->pw.n, np = o->pw.n_panels;
    if (m < 4) {
        int64_t *all = malloc(m * np * VSQK_NR * sizeof *all);
        /* two calls over panel ranges, as the threaded driver makes them */
        size_t mid = np / 2;
        if (vnni256) {
            vsqk_gemv8_avxvnniemu(&o->pa, &o->pw, 0, mid, all, g);
            vsqk_gemv8_avxvnniemu(&o->pa, &o->pw, mid, np, all, g);
        } else {
            vsqk_gemv8_avx512emu(&o->pa, &o->pw, 0, mid, all, g);
            vsqk_gemv8_avx512emu(&o->pa, &o->pw, mid, np, all, g);
        }
        for (size_t i = 0; i < m; i++) memcpy(got + i * n, all + i * np * VSQK_NR, n * sizeof *got);
        free(all);
        return;
    }
    void *scratch = aligned_alloc(64, vsqk_scratch_bytes(&o->pw));
    int64_t *out = malloc(m * VSQK_NR * sizeof *out);
    for (size_t p = 0; p < np; p++) {
        vsqk_panel_avx512emu(&o->pa, &o->pw, p, 0, m, out, scratch, g);
        for (size_t i = 0; i < m; i++)
            for (size_t r = 0; r < VSQK_NR && p * VSQK_NR + r < n; r++)
                got[i * n + p * VSQK_NR + r] = out[i * VSQK_NR + r];
    }
    free(out);
    free(scratch);
}

/* Prepare for `isa` and, if accepted, compare the emulated sums with the
 * reference; returns whether accepted. */
static int check_isa(const operands *o, vsq_isa isa, const char *wspec, const char *aspec) {
    vsqk_gemv8 g;
    size_t m = o->pa.m, n = o->pw.n;
    int ok = vsqk_gemv8_prepare(&o->pa, &o->pw, &g, isa);
    if (ok) {
        int64_t *got = malloc(m * n * sizeof *got);
        emulated_sums(o, &g, got, isa == VSQ_ISA_AVXVNNI);
        for (size_t i = 0; i < m * n; i++)
            if (got[i] != o->ref[i]) {
                fprintf(stderr, "%s %s x %s m=%zu n=%zu k=%zu: [%zu] %lld != ref %lld\n",
                        vsq_isa_name(isa), wspec, aspec, m, n, o->pw.k, i, (long long)got[i],
                        (long long)o->ref[i]);
                fail();
            }
        free(got);
        vsqk_gemv8_free(&g);
    }
    return ok;
}

/* 1 if prepared (and then checked against the reference), 0 if refused.
 * GEMV shapes (m < 4) run on both the AVX-512 and the AVX-VNNI kernels,
 * which accept the same operands; GEMM shapes only on AVX-512 (AVX-VNNI
 * has no int8 GEMM kernel and must refuse them). */
static int check(const char *wspec, const char *aspec, size_t m, size_t n, size_t k, int extreme) {
    operands o;
    make(&o, wspec, aspec, m, n, k, extreme);
    int ok = check_isa(&o, VSQ_ISA_AVX512, wspec, aspec);
    int ok256 = check_isa(&o, VSQ_ISA_AVXVNNI, wspec, aspec);
    assert_int_equal(ok256, m < 4 ? ok : 0);
    drop(&o);
    return ok;
}

static const char *const pairs[][2] = {
    {"int4:v16:s6", "int8:v16:s10"},  {"int8:v16:s6", "int8:v16:s10"},
    {"uint8:v16:s6", "int8f:v16:s8"}, {"int8f:v32:s8", "int8f:v32:s16"},
    {"int4f:v16:s6", "int8f:v16:s8"}, {"uint4:v32:s6", "int8:v32:s10"},
    {"int6:v16:s6", "int8:v16:s10"},  {"int5:v64:s8", "uint7:v64:s8"},
    {"int3:v16:s6", "int8:v16:s10"},  {"int2:v32:s3", "int4:v32:s4"},
    {"int7:v64:s4", "int8f:v64:s12"}, {"int4:v64:s8", "int4f:v64:s6"},
};
static const size_t n_pairs = sizeof pairs / sizeof pairs[0];

static void test_gemv(void **state) {
    (void)state;
    const size_t ks[] = {16, 17, 64, 100, 64 * 5 + 48, 64 * 21 + 5};
    for (size_t p = 0; p < n_pairs; p++)
        for (int rep = 0; rep < 3; rep++)
            assert_true(check(pairs[p][0], pairs[p][1], 1 + (size_t)rep, 1 + rnd() % 13,
                              ks[rnd() % 6], 0));
}

static void test_gemm(void **state) {
    (void)state;
    const size_t ks[] = {16, 33, 64, 129, 64 * 7 + 16};
    for (size_t p = 0; p < n_pairs; p++)
        for (int rep = 0; rep < 2; rep++)
            assert_true(check(pairs[p][0], pairs[p][1], 4 + rnd() % 9, 1 + rnd() % 13,
                              ks[rnd() % 5], 0));
}

/* Every code at its extreme, every scale at 2^M - 1, long K. */
static void test_worst_case(void **state) {
    (void)state;
    for (size_t p = 0; p < n_pairs; p++) {
        assert_true(check(pairs[p][0], pairs[p][1], 1 + p % 3, 6, 64 * 40 + 16, 1));
        assert_true(check(pairs[p][0], pairs[p][1], 5, 6, 64 * 12 + 16, 1));
    }
}

/* Not for this path: activations beyond int8, 16-bit weight scales,
 * single-level scales (the AVX2 int16 kernels serve those). */
static void test_refuses(void **state) {
    (void)state;
    assert_false(check("int4:v16:s6", "uint8:v16:s10", 1, 5, 100, 0));
    assert_false(check("int4:v16:s12", "int8:v16:s10", 5, 5, 100, 0));
    assert_false(check("int8:v16:fp16", "int8:v16:fp16", 1, 5, 100, 0));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemv),
        cmocka_unit_test(test_gemm),
        cmocka_unit_test(test_worst_case),
        cmocka_unit_test(test_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
int main(void) {
    test_skip_program("SIMDe not found at build time: AVX-512 kernels not checked");
}
#endif
