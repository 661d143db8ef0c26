/* vsq/container.h - the .vsq container for quantized tensors (format v1).
 * Layout documented in docs/container.md: magic, version, format spec,
 * shape, axis, codes bit-packed at N bits, scales at M bits (or fp32/fp16/
 * e8m0), coarse scales, and a CRC-32 of everything before it.
 */
#ifndef VSQ_CONTAINER_H
#define VSQ_CONTAINER_H

#include <stddef.h>
#include <stdint.h>
#include "vsq/error.h"
#include "vsq/quant.h"
#include "vsq/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int ndim;
    size_t shape[VSQ_MAX_DIMS]; /* original tensor shape */
    int axis;                   /* vector axis in the original tensor */
    vsq_qtensor q;              /* matrix view, vector axis last */
} vsq_qfile;

/* Serialise to a newly allocated buffer / write atomically. */
vsq_status vsq_container_encode(const vsq_qfile *f, uint8_t **buf, size_t *len);
vsq_status vsq_container_save(const char *path, const vsq_qfile *f);

/* Parse / load; reject truncated, corrupt (CRC) or inconsistent files. */
vsq_status vsq_container_decode(const uint8_t *buf, size_t len, const char *what,
                                vsq_qfile *out);
vsq_status vsq_container_load(const char *path, vsq_qfile *out);

void vsq_qfile_free(vsq_qfile *f);

#ifdef __cplusplus
}
#endif
#endif
