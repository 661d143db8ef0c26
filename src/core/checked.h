/* src/core/checked.h - overflow-checked size arithmetic for everything
 * whose operands come from a file or a caller (shapes, counts, offsets). */
#ifndef VSQ_CHECKED_H
#define VSQ_CHECKED_H

#include <stddef.h>
#include <stdint.h>

/* *out = a * b; returns 1 (and leaves *out alone) if it would overflow. */
static inline int vsq_mul_size(size_t a, size_t b, size_t *out) {
    size_t r;
    if (__builtin_mul_overflow(a, b, &r)) return 1;
    *out = r;
    return 0;
}

/* *out = a + b; returns 1 if it would overflow. */
static inline int vsq_add_size(size_t a, size_t b, size_t *out) {
    size_t r;
    if (__builtin_add_overflow(a, b, &r)) return 1;
    *out = r;
    return 0;
}

/* *acc *= b in place; returns 1 on overflow (then *acc is unchanged). */
static inline int vsq_mul_size_into(size_t *acc, size_t b) { return vsq_mul_size(*acc, b, acc); }

#endif
