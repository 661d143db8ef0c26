/* vsq/bench.h: the read probe returns the sum of the elements at indices
 * that are multiples of 8 (exact for small integers) on both of its paths (AVX2 streams for aligned multiples
 * of 512, the plain loop otherwise); the peak loops report the operations
 * they did (a hand count per iteration) or 0 where the ISA is missing; the
 * per-ISA probes exist exactly for the available ISAs, and the fallback
 * chain starts at the active ISA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "vsq/vsq.h"

static void test_read_sum(void **state) {
    (void)state;
    size_t n = 4096;
    float *a = aligned_alloc(64, (n + 64) * sizeof *a);
    assert_non_null(a);
    for (size_t i = 0; i < n + 64; i++) a[i] = (float)(i % 7); /* sums stay exact in fp32 */
    double want = 0, want1 = 0, want2 = 0;
    for (size_t i = 0; i < n; i += 8) want += a[i], want1 += a[i + 1];
    for (size_t i = 0; i < 100; i += 8) want2 += a[i];
    assert_true(vsq_read_f32(a, n) == (float)want);      /* aligned, n % 512 == 0 */
    assert_true(vsq_read_f32(a + 1, n) == (float)want1); /* misaligned: plain loop */
    assert_true(vsq_read_f32(a, 100) == (float)want2);   /* not a multiple of 512 */
    assert_true(vsq_read_f32(a, 0) == 0.0f);
    free(a);
}

static void test_peak_counts(void **state) {
    (void)state;
    /* per iteration: 8 chains x 32 int8 MACs x 2 ops; 8 x 16 int16 MACs x 2;
     * FMA and VNNI: whatever the loop's own count, but linear in iters */
    if (vsq_isa_available(VSQ_ISA_AVX2)) {
        assert_true(vsq_peak_int8_avx2(10) == 10.0 * 8 * 32 * 2);
        assert_true(vsq_peak_fma_avx2(20) == 2 * vsq_peak_fma_avx2(10));
        assert_true(vsq_peak_fma_avx2(10) > 0);
        assert_true(vsq_peak_madd16_avx2(10) == 10.0 * 8 * 16 * 2);
    } else {
        assert_true(vsq_peak_int8_avx2(10) == 0 && vsq_peak_fma_avx2(10) == 0 &&
                    vsq_peak_madd16_avx2(10) == 0);
    }
    if (vsq_isa_available(VSQ_ISA_AVX512))
        assert_true(vsq_peak_vnni_avx512(20) == 2 * vsq_peak_vnni_avx512(10) &&
                    vsq_peak_vnni_avx512(10) > 0);
    else
        assert_true(vsq_peak_vnni_avx512(10) == 0);
}

static void test_isa_probes(void **state) {
    (void)state;
    for (int i = 0; i < 4; i++) {
        vsq_isa_probes p;
        int ok = vsq_isa_probes_get((vsq_isa)i, &p) == 0;
        assert_int_equal(ok, vsq_isa_available((vsq_isa)i));
        if (!ok) {
            assert_null(p.isa);
            continue;
        }
        assert_string_equal(p.isa, vsq_isa_name((vsq_isa)i));
        if (p.peak_int8) assert_true(p.peak_int8(20) == 2 * p.peak_int8(10) && p.peak_int8(10) > 0);
        if (p.peak_int8) assert_non_null(p.peak_int8_what);
        if (p.peak_fma) assert_true(p.peak_fma(10) > 0);
    }
    vsq_isa_probes p;
    assert_int_equal(vsq_isa_probes_get((vsq_isa)7, &p), -1);
    /* AVX-512 VNNI has its own vpdpbusd loop where the CPU has it */
    if (vsq_isa_available(VSQ_ISA_AVX512)) {
        vsq_isa_probes_get(VSQ_ISA_AVX512, &p);
        assert_non_null(p.peak_int8);
    }
    vsq_isa chain[4];
    int n = vsq_isa_chain(chain);
    assert_true(n >= 1 && n <= 4);
    assert_int_equal(chain[0], vsq_isa_active());
    assert_int_equal(chain[n - 1], VSQ_ISA_REF);
    for (int i = 0; i < n; i++) assert_true(vsq_isa_available(chain[i]));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_sum),
        cmocka_unit_test(test_peak_counts),
        cmocka_unit_test(test_isa_probes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
