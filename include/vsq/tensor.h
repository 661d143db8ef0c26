/* vsq/tensor.h - a dense n-d array in memory and its .npy file form.
 *
 * .npy: NumPy format versions 1.0, 2.0 (and 3.0 headers), C order only,
 * little-endian dtypes <f4 <f8 |i1 |u1 <i4. Reading converts to the dtype
 * asked for only where it is lossless or explicitly float.
 */
#ifndef VSQ_TENSOR_H
#define VSQ_TENSOR_H

#include <stddef.h>
#include <stdint.h>
#include "vsq/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VSQ_MAX_DIMS 8

typedef enum {
    VSQ_DTYPE_F32 = 0,
    VSQ_DTYPE_F64 = 1,
    VSQ_DTYPE_I8 = 2,
    VSQ_DTYPE_U8 = 3,
    VSQ_DTYPE_I32 = 4
} vsq_dtype;

typedef struct {
    vsq_dtype dtype;
    int ndim;
    size_t shape[VSQ_MAX_DIMS];
    void *data; /* C order, owned */
} vsq_tensor;

size_t vsq_tensor_numel(const vsq_tensor *t);
size_t vsq_dtype_size(vsq_dtype d);
const char *vsq_dtype_name(vsq_dtype d);

/* Load a .npy file. Errors name the file and the problem (truncated data,
 * Fortran order, unsupported dtype, malformed header, ...). */
vsq_status vsq_npy_load(const char *path, vsq_tensor *out);

/* Parse a .npy image already in memory (used by the loader and fuzzers). */
vsq_status vsq_npy_parse(const uint8_t *buf, size_t len, const char *what, vsq_tensor *out);

/* Write atomically (temporary file in the same folder, then rename). */
vsq_status vsq_npy_save(const char *path, const vsq_tensor *t);

/* Convert to a newly allocated float32 array (f64 rounds; ints convert). */
vsq_status vsq_tensor_to_f32(const vsq_tensor *t, float **out);

/* Move `axis` to the end and view as rows x cols (cols = shape[axis]);
 * `channels` = size of the channel axis: the first axis that is not the
 * vector axis (1 for 1-d tensors). Writes a newly allocated float array. */
vsq_status vsq_tensor_to_matrix(const vsq_tensor *t, int axis, float **out, size_t *rows,
                                size_t *cols, size_t *channels);
/* Inverse: scatter a rows x cols matrix back into tensor order. */
vsq_status vsq_matrix_to_tensor(const float *m, const vsq_tensor *like, int axis, float *out);

void vsq_tensor_free(vsq_tensor *t);

/* Write `len` bytes to `path` atomically: temp file + fsync + rename. */
vsq_status vsq_write_atomic(const char *path, const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
