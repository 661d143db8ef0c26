/* src/io/io.h - internal helpers of the io module (not public API):
 * CRC-32, N-bit packing, fp16 bits, little-endian fields, whole-file read,
 * multi-part atomic write. */
#ifndef VSQ_IO_INTERNAL_H
#define VSQ_IO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "vsq/error.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "vsq io assumes a little-endian host (.npy and .vsq data are little-endian)"
#endif

/* CRC-32 as zlib computes it (reflected polynomial 0xEDB88320), chainable:
 * crc = vsq_crc32(0, a, n); crc = vsq_crc32(crc, b, m); */
uint32_t vsq_crc32(uint32_t crc, const void *data, size_t len);

/* Pack n values of `bits` bits (1..16) LSB-first into dst, which must hold
 * vsq_packed_bytes(n, bits) bytes; only the low `bits` of each value are used. */
size_t vsq_packed_bytes(size_t n, int bits);
void vsq_pack_bits(const uint16_t *src, size_t n, int bits, uint8_t *dst);
void vsq_unpack_bits(const uint8_t *src, size_t n, int bits, uint16_t *dst);

/* fp16 conversions come from the quantizer (src/quant/scale.c). */
#include "quant/quant_internal.h"

/* Read a whole file into a malloc'ed buffer. */
vsq_status vsq_read_file(const char *path, uint8_t **buf, size_t *len);

/* Map a whole non-empty file read-only (model files: tensors are used in
 * place); release with munmap(*map, *len). */
vsq_status vsq_map_file(const char *path, void **map, size_t *len);

/* Atomically write the concatenation of n parts. */
vsq_status vsq_write_atomic_parts(const char *path, const void *const *parts,
                                  const size_t *lens, int n);

#endif
