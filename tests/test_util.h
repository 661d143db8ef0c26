/* tests/test_util.h - deterministic random tensors for property tests
 * (the library's own generator, src/core/rng.h, under short names). */
#ifndef VSQ_TEST_UTIL_H
#define VSQ_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"

/* A test program that cannot run here (a missing tool, model or library)
 * exits with this code, CTest's SKIP_RETURN_CODE (tests/CMakeLists.txt):
 * it shows as skipped, never as passed. cmocka's skip() would count as a
 * pass, so tests call this instead. */
#define VSQ_TEST_SKIP 77
#define test_skip_program(...)                                                                  \
    do {                                                                                       \
        printf("SKIP: ");                                                                      \
        printf(__VA_ARGS__);                                                                   \
        printf("\n");                                                                          \
        fflush(stdout);                                                                        \
        exit(VSQ_TEST_SKIP);                                                                   \
    } while (0)

typedef vsq_rng test_rng;
#define test_uniform vsq_rng_uniform
#define test_gauss vsq_rng_gauss
#define test_student_t vsq_rng_student_t
#define test_fill vsq_rng_fill
enum { DIST_GAUSS = VSQ_DIST_GAUSS, DIST_STUDENT = VSQ_DIST_STUDENT4, DIST_OUTLIERS = VSQ_DIST_OUTLIERS };

#endif
