/* tests/test_util.h - deterministic random tensors for property tests. */
#ifndef VSQ_TEST_UTIL_H
#define VSQ_TEST_UTIL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s;
} test_rng;

static inline uint64_t test_rng_next(test_rng *r) {
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static inline double test_uniform(test_rng *r) { /* (0, 1) */
    return ((double)(test_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static inline double test_gauss(test_rng *r) {
    double u = test_uniform(r), v = test_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Student-t with integer degrees of freedom nu: heavy tails. */
static inline double test_student_t(test_rng *r, int nu) {
    double chi2 = 0.0;
    for (int i = 0; i < nu; i++) {
        double g = test_gauss(r);
        chi2 += g * g;
    }
    return test_gauss(r) / sqrt(chi2 / nu);
}

enum { DIST_GAUSS, DIST_STUDENT, DIST_OUTLIERS };

static inline void test_fill(test_rng *r, float *x, size_t n, int dist) {
    for (size_t i = 0; i < n; i++) {
        double v = dist == DIST_STUDENT ? test_student_t(r, 4) : test_gauss(r);
        if (dist == DIST_OUTLIERS && test_uniform(r) < 0.002) v *= 40.0;
        x[i] = (float)v;
    }
}

#endif
