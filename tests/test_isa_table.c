/* The per-ISA kernel table (src/kernels/isa_table.h): every ISA this CPU
 * runs has a resolved table with its mandatory entries, the fallback fills
 * the missing ones from the next lower supported ISA, vsqk_ops() follows
 * vsq_isa_force() on every thread, and the names round-trip. (VSQ_ISA=bogus
 * is read once per process: tests/cli/bench_args.sh checks it.) */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "kernels/isa_table.h"
#include "vsq/vsq.h"

static const vsq_isa all[] = {VSQ_ISA_REF, VSQ_ISA_AVX2, VSQ_ISA_AVXVNNI, VSQ_ISA_AVX512};
enum { N = sizeof all / sizeof all[0] };

static void test_mandatory_entries(void **state) {
    (void)state;
    assert_true(vsq_isa_available(VSQ_ISA_REF));
    for (int i = 0; i < N; i++) {
        const vsqk_isa_ops *o = vsqk_ops_for(all[i]);
        if (!vsq_isa_available(all[i])) {
            assert_null(o);
            continue;
        }
        assert_non_null(o);
        assert_int_equal(o->id, all[i]);
        assert_string_equal(o->name, vsq_isa_name(all[i]));
        assert_non_null(o->supported);
        assert_true(o->supported());
        assert_non_null(o->panel);
        assert_non_null(o->qrow);
        assert_non_null(o->vec_dot_q4_1_q8_1);
        assert_non_null(o->vec_dot_q8_0_q8_0);
        assert_non_null(o->vec_dot_q4_0_q8_0);
        assert_non_null(o->matvec_rows);
        /* kernels that travel with a shape / preparation rule */
        if (o->gemm8) assert_true(o->mr > 0 && o->nr > 0);
        if (o->peak_int8) assert_non_null(o->peak_int8_what);
        if (all[i] != VSQ_ISA_REF) { /* every SIMD table has the fast paths */
            assert_non_null(o->gemv8);
            assert_non_null(o->qact_row);
            assert_non_null(o->qpack_row);
            assert_non_null(o->peak_int8);
            assert_non_null(o->peak_fma);
            assert_non_null(o->read);
        }
    }
    assert_null(vsqk_ops_for((vsq_isa)7));
    assert_string_equal(vsq_isa_name((vsq_isa)7), "?");
}

/* Missing entries come from the next lower supported ISA; own entries stay. */
static void test_fallback_chain(void **state) {
    (void)state;
    const vsqk_isa_ops *ref = vsqk_ops_for(VSQ_ISA_REF);
    assert_null(vsqk_ops_lower(ref));
    assert_ptr_equal(ref->panel, vsqk_panel_ref);
    assert_null(ref->gemv8);
    const vsqk_isa_ops *avx2 = vsqk_ops_for(VSQ_ISA_AVX2);
    if (!avx2) return;
    assert_ptr_equal(vsqk_ops_lower(avx2), ref);
    assert_ptr_equal(avx2->gemv8, vsqk_gemv8_avx2);
    assert_int_equal(avx2->gemv8_isa, VSQ_ISA_AVX2);
    const vsqk_isa_ops *vnni = vsqk_ops_for(VSQ_ISA_AVXVNNI);
    if (vnni) {
        assert_ptr_equal(vsqk_ops_lower(vnni), avx2);
        assert_ptr_equal(vnni->gemv8, vsqk_gemv8_avxvnni); /* its own */
        assert_int_equal(vnni->gemv8_isa, VSQ_ISA_AVXVNNI);
        assert_ptr_equal(vnni->panel, avx2->panel); /* inherited */
        assert_ptr_equal(vnni->qact_row, avx2->qact_row);
        assert_ptr_equal(vnni->peak_fma, avx2->peak_fma);
        assert_null(vnni->panel8);
    }
    const vsqk_isa_ops *z = vsqk_ops_for(VSQ_ISA_AVX512);
    if (z) {
        assert_ptr_equal(vsqk_ops_lower(z), vnni ? vnni : avx2);
        assert_ptr_equal(z->gemv8, vsqk_gemv8_avx512);
        assert_ptr_equal(z->panel8, vsqk_panel_avx512);
        assert_int_equal(z->panel8_isa, VSQ_ISA_AVX512);
        assert_ptr_equal(z->panel, avx2->panel);
        assert_ptr_equal(z->matvec_rows, avx2->matvec_rows);
    }
}

static void *active_of_thread(void *arg) {
    int *seen = arg;
    seen[0] = (int)vsq_isa_active();
    seen[1] = (int)vsqk_ops()->id;
    return NULL;
}

/* vsq_isa_force from one thread is what every other thread then runs. */
static void *force_in_thread(void *arg) {
    return (void *)(intptr_t)vsq_isa_force(*(int *)arg);
}

static void test_force_visible_across_threads(void **state) {
    (void)state;
    vsq_isa automatic = vsq_isa_active();
    for (int i = 0; i < N; i++) {
        if (!vsq_isa_available(all[i])) {
            assert_int_equal(vsq_isa_force(all[i]), VSQ_EUNSUPPORTED);
            continue;
        }
        assert_int_equal(vsq_isa_force(all[i]), VSQ_OK);
        int seen[2] = {-1, -1};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, active_of_thread, seen), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_int_equal(seen[0], all[i]);
        assert_int_equal(seen[1], all[i]);
        assert_int_equal(vsq_isa_force(-1), VSQ_OK);
        int want = all[i];
        void *rc;
        assert_int_equal(pthread_create(&t, NULL, force_in_thread, &want), 0);
        assert_int_equal(pthread_join(t, &rc), 0);
        assert_int_equal((int)(intptr_t)rc, VSQ_OK);
        assert_int_equal(vsq_isa_active(), all[i]);
        assert_int_equal(vsqk_ops()->id, all[i]);
    }
    assert_int_equal(vsq_isa_force(-1), VSQ_OK);
    assert_int_equal(vsq_isa_active(), automatic);
    assert_int_equal(vsq_isa_force(-7), VSQ_OK); /* any negative: automatic */
    assert_int_equal(vsq_isa_force(4), VSQ_EUNSUPPORTED);
}

static void test_available_list(void **state) {
    (void)state;
    char buf[128], small[6];
    size_t len = vsq_isa_list_available(buf, sizeof buf, ",");
    assert_int_equal(len, strlen(buf));
    assert_int_equal(strncmp(buf, "ref", 3), 0);
    for (int i = 0; i < N; i++) {
        int listed = strstr(buf, vsq_isa_name(all[i])) != NULL;
        if (all[i] == VSQ_ISA_AVX2) /* "avx2" is no substring of another name */
            assert_int_equal(listed, vsq_isa_available(all[i]));
        else if (vsq_isa_available(all[i]))
            assert_true(listed);
    }
    assert_int_equal(vsq_isa_list_available(small, sizeof small, ","), len); /* truncated */
    assert_int_equal(strlen(small), sizeof small - 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mandatory_entries),
        cmocka_unit_test(test_fallback_chain),
        cmocka_unit_test(test_force_visible_across_threads),
        cmocka_unit_test(test_available_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
