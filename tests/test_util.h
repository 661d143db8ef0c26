/* tests/test_util.h - deterministic random tensors for property tests
 * (the library's own generator, src/core/rng.h, under short names). */
#ifndef VSQ_TEST_UTIL_H
#define VSQ_TEST_UTIL_H

#include "core/rng.h"

typedef vsq_rng test_rng;
#define test_uniform vsq_rng_uniform
#define test_gauss vsq_rng_gauss
#define test_student_t vsq_rng_student_t
#define test_fill vsq_rng_fill
enum { DIST_GAUSS = VSQ_DIST_GAUSS, DIST_STUDENT = VSQ_DIST_STUDENT4, DIST_OUTLIERS = VSQ_DIST_OUTLIERS };

#endif
