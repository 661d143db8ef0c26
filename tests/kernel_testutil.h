/* Helpers shared by the kernel tests (include after cmocka.h): a
 * deterministic xorshift generator, roughly Gaussian values with rare
 * outliers (the heavy tails per-vector scaling is for), and a format
 * parser that fails the test on a bad spec. Each test file seeds its own
 * state, so their sequences stay independent. */
#ifndef VSQ_KERNEL_TESTUTIL_H
#define VSQ_KERNEL_TESTUTIL_H

#include <stdint.h>

#include "vsq/format.h"

static inline uint32_t kt_rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 11);
}

/* Sum of 6 uniforms in [-1, 1] (x 0.7); one value in 41 x 15 if outliers. */
static inline float kt_gauss(uint64_t *s, int outliers) {
    float v = 0;
    for (int i = 0; i < 6; i++) v += (float)(kt_rnd(s) % 2000001) / 1e6f - 1.0f;
    return v * 0.7f * (outliers && kt_rnd(s) % 41 == 0 ? 15.0f : 1.0f);
}

static inline vsq_format kt_format(const char *spec) {
    vsq_format f;
    assert_int_equal(vsq_format_parse(spec, &f), VSQ_OK);
    return f;
}

#endif
