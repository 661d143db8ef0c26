/* N-bit packing of codes and integer scales, LSB-first: value i occupies
 * bits [i*N, (i+1)*N) of the byte stream, bit k of a byte being (b >> k) & 1.
 * This is the layout of the code and scale sections of the .vsq container. */
#include "io.h"

size_t vsq_packed_bytes(size_t n, int bits) {
    /* n * bits / 8 rounded up, without overflowing n * bits. */
    return (n / 8) * (size_t)bits + ((n % 8) * (size_t)bits + 7) / 8;
}

void vsq_pack_bits(const uint16_t *src, size_t n, int bits, uint8_t *dst) {
    size_t nbytes = vsq_packed_bytes(n, bits);
    uint32_t mask = (1u << bits) - 1;
    uint32_t acc = 0; /* pending bits, LSB first */
    int have = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= (src[i] & mask) << have;
        have += bits;
        while (have >= 8) {
            dst[o++] = (uint8_t)acc;
            acc >>= 8;
            have -= 8;
        }
    }
    if (have > 0) dst[o++] = (uint8_t)acc; /* unused high bits are zero */
    (void)nbytes;
}

void vsq_unpack_bits(const uint8_t *src, size_t n, int bits, uint16_t *dst) {
    uint32_t mask = (1u << bits) - 1;
    uint32_t acc = 0;
    int have = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        while (have < bits) {
            acc |= (uint32_t)src[o++] << have;
            have += 8;
        }
        dst[i] = (uint16_t)(acc & mask);
        acc >>= bits;
        have -= bits;
    }
}
