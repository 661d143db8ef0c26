/* vsq/safetensors.h - Hugging Face safetensors files and config.json.
 *
 * safetensors layout: an 8-byte little-endian header length N, N bytes of
 * UTF-8 JSON {"NAME": {"dtype": "F32", "shape": [..], "data_offsets":
 * [BEGIN, END]}, ..., "__metadata__": {"k": "v"}}, then the byte buffer;
 * offsets are relative to the buffer's start. The reader checks every
 * entry against the file: known dtype, END - BEGIN == numel * dtype size,
 * offsets inside the buffer, tensors neither overlapping nor leaving holes
 * (the format requires the buffer to be fully indexed). Tensor data are
 * little-endian, C order. The file is memory-mapped; tensors are read out
 * (converted to fp32) on request.
 */
#ifndef VSQ_SAFETENSORS_H
#define VSQ_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include "vsq/error.h"
#include "vsq/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    VSQ_ST_BOOL,
    VSQ_ST_U8,
    VSQ_ST_I8,
    VSQ_ST_I16,
    VSQ_ST_U16,
    VSQ_ST_F16,
    VSQ_ST_BF16,
    VSQ_ST_I32,
    VSQ_ST_U32,
    VSQ_ST_F32,
    VSQ_ST_F64,
    VSQ_ST_I64,
    VSQ_ST_U64,
    VSQ_ST_F8_E4M3,
    VSQ_ST_F8_E5M2
} vsq_st_dtype;

typedef struct {
    char *name;
    vsq_st_dtype dtype;
    int ndim;
    size_t shape[VSQ_MAX_DIMS];
    size_t numel;
    size_t offset; /* from the start of the data buffer */
    size_t nbytes;
    const uint8_t *data; /* points into the mapping */
} vsq_st_tensor;

typedef struct {
    char *path;               /* "what" for messages */
    vsq_st_tensor *tensors;   /* in file order of data offsets */
    size_t n_tensors;
    char **meta_keys, **meta_values; /* the "__metadata__" string map */
    size_t n_meta;
    void *map; /* owned mapping (vsq_safetensors_open), or NULL */
    size_t map_size;
} vsq_safetensors;

/* Map and validate a .safetensors file. */
vsq_status vsq_safetensors_open(const char *path, vsq_safetensors *st);
/* Validate an image already in memory; tensors point into `buf`, which
 * must outlive `st` (used by the fuzzer and tests). */
vsq_status vsq_safetensors_parse(const uint8_t *buf, size_t len, const char *what,
                                 vsq_safetensors *st);
void vsq_safetensors_close(vsq_safetensors *st);

const char *vsq_st_dtype_name(vsq_st_dtype d);
size_t vsq_st_dtype_size(vsq_st_dtype d);

/* The tensor called `name`, or NULL. */
const vsq_st_tensor *vsq_safetensors_find(const vsq_safetensors *st, const char *name);

/* Copy tensor `name` out as float32 (F32, F16 and BF16 convert exactly;
 * other dtypes are VSQ_EUNSUPPORTED). When `shape` is non-NULL the tensor
 * must have exactly `ndim` dims equal to it, otherwise VSQ_EFORMAT naming
 * the file, the tensor, and both shapes. A missing tensor is VSQ_EFORMAT.
 * NaN/Inf are rejected (VSQ_ENONFINITE). *out is malloc'ed. */
vsq_status vsq_safetensors_get_f32(const vsq_safetensors *st, const char *name, int ndim,
                                   const size_t *shape, float **out);

/* ---- Hugging Face config.json ---- */

typedef struct {
    char *path;
    void *json; /* parsed document (private) */
} vsq_hf_config;

vsq_status vsq_hf_config_load(const char *path, vsq_hf_config *c);
/* Parse a document in memory (fuzzer, tests). */
vsq_status vsq_hf_config_parse(const char *text, size_t len, const char *what, vsq_hf_config *c);
void vsq_hf_config_free(vsq_hf_config *c);

/* Top-level fields. A missing field or one of the wrong JSON type is
 * VSQ_EFORMAT: "<path>: field \"<key>\" missing" / "... is not an integer".
 * The _opt variants return `def` when the field is absent (still an error
 * when present with the wrong type). */
vsq_status vsq_hf_config_int(const vsq_hf_config *c, const char *key, long *out);
vsq_status vsq_hf_config_double(const vsq_hf_config *c, const char *key, double *out);
vsq_status vsq_hf_config_string(const vsq_hf_config *c, const char *key, const char **out);
vsq_status vsq_hf_config_int_opt(const vsq_hf_config *c, const char *key, long def, long *out);
vsq_status vsq_hf_config_double_opt(const vsq_hf_config *c, const char *key, double def,
                                    double *out);

#ifdef __cplusplus
}
#endif
#endif
