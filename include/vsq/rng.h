/* vsq/rng.h - small deterministic random source for synthetic tensors
 * (vsq gen, tests, benchmarks): xorshift64, Box-Muller Gaussian, Student-t. */
#ifndef VSQ_PUBLIC_RNG_H
#define VSQ_PUBLIC_RNG_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s; /* never 0 */
} vsq_rng;

static inline uint64_t vsq_rng_next(vsq_rng *r) {
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static inline double vsq_rng_uniform(vsq_rng *r) { /* (0, 1) */
    return ((double)(vsq_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static inline double vsq_rng_gauss(vsq_rng *r) {
    double u = vsq_rng_uniform(r), v = vsq_rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Student-t with integer degrees of freedom nu: heavy tails. */
static inline double vsq_rng_student_t(vsq_rng *r, int nu) {
    double chi2 = 0.0;
    for (int i = 0; i < nu; i++) {
        double g = vsq_rng_gauss(r);
        chi2 += g * g;
    }
    return vsq_rng_gauss(r) / sqrt(chi2 / nu);
}

enum { VSQ_DIST_GAUSS, VSQ_DIST_STUDENT4, VSQ_DIST_OUTLIERS };

/* Gaussian; Student-t(4); or Gaussian with 0.2 % of values scaled by 40. */
static inline void vsq_rng_fill(vsq_rng *r, float *x, size_t n, int dist) {
    for (size_t i = 0; i < n; i++) {
        double v = dist == VSQ_DIST_STUDENT4 ? vsq_rng_student_t(r, 4) : vsq_rng_gauss(r);
        if (dist == VSQ_DIST_OUTLIERS && vsq_rng_uniform(r) < 0.002) v *= 40.0;
        x[i] = (float)v;
    }
}

#endif
