/* vsq/gguf.h - GGUF model files (llama.cpp / ggml), versions 2 and 3.
 *
 * Layout: "GGUF", uint32 version, uint64 tensor count, uint64 key/value
 * count; the key/values (key = uint64 length + bytes, uint32 value type,
 * value; arrays = uint32 element type, uint64 count, elements); the tensor
 * infos (name, uint32 n_dims, uint64 ne[n_dims] with ne[0] the contiguous
 * axis, uint32 ggml type, uint64 offset into the data section); padding to
 * the alignment (general.alignment, default 32); the data section.
 * All little-endian. The reader checks every length, count and offset
 * against the file before use; tensors must lie inside the data section,
 * aligned, without overlapping. The file is memory-mapped.
 *
 * Reference dequantization (ggml's block layouts) for F32, F16, BF16,
 * Q8_0, Q4_0 and Q4_1; other known types can be listed but not converted.
 */
#ifndef VSQ_GGUF_H
#define VSQ_GGUF_H

#include <stddef.h>
#include <stdint.h>
#include "vsq/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    VSQ_GGUF_U8 = 0,
    VSQ_GGUF_I8 = 1,
    VSQ_GGUF_U16 = 2,
    VSQ_GGUF_I16 = 3,
    VSQ_GGUF_U32 = 4,
    VSQ_GGUF_I32 = 5,
    VSQ_GGUF_F32 = 6,
    VSQ_GGUF_BOOL = 7,
    VSQ_GGUF_STRING = 8,
    VSQ_GGUF_ARRAY = 9,
    VSQ_GGUF_U64 = 10,
    VSQ_GGUF_I64 = 11,
    VSQ_GGUF_F64 = 12
} vsq_gguf_vtype;

/* ggml tensor types this reader knows the block size of. */
typedef enum {
    VSQ_GGML_F32 = 0,
    VSQ_GGML_F16 = 1,
    VSQ_GGML_Q4_0 = 2,
    VSQ_GGML_Q4_1 = 3,
    VSQ_GGML_Q5_0 = 6,
    VSQ_GGML_Q5_1 = 7,
    VSQ_GGML_Q8_0 = 8,
    VSQ_GGML_Q8_1 = 9,
    VSQ_GGML_Q2_K = 10,
    VSQ_GGML_Q3_K = 11,
    VSQ_GGML_Q4_K = 12,
    VSQ_GGML_Q5_K = 13,
    VSQ_GGML_Q6_K = 14,
    VSQ_GGML_Q8_K = 15,
    VSQ_GGML_IQ4_NL = 20,
    VSQ_GGML_IQ4_XS = 23,
    VSQ_GGML_I8 = 24,
    VSQ_GGML_I16 = 25,
    VSQ_GGML_I32 = 26,
    VSQ_GGML_I64 = 27,
    VSQ_GGML_F64 = 28,
    VSQ_GGML_BF16 = 30
} vsq_ggml_type;

/* One metadata entry. Scalars are decoded into the union; a string points
 * into the mapping (not NUL-terminated: use str_len); an array keeps its
 * element type, count and the position of its first element. */
typedef struct {
    char *key;
    vsq_gguf_vtype type;
    union {
        uint64_t u;
        int64_t i;
        double f;
    } v;
    const char *str; /* STRING */
    uint64_t str_len;
    vsq_gguf_vtype arr_type; /* ARRAY */
    uint64_t arr_n;
    const uint8_t *arr_data;
} vsq_gguf_kv;

typedef struct {
    char *name;
    int ndim;
    uint64_t ne[4]; /* ne[0] contiguous; unused dims are 1 */
    vsq_ggml_type type;
    uint64_t numel;
    uint64_t offset; /* into the data section */
    size_t nbytes;
    const uint8_t *data;
} vsq_gguf_tensor;

typedef struct {
    char *path;
    uint32_t version;
    vsq_gguf_kv *kv;
    size_t n_kv;
    vsq_gguf_tensor *tensors;
    size_t n_tensors;
    size_t alignment;
    size_t data_offset; /* start of the data section in the file */
    void *map;
    size_t map_size;
} vsq_gguf;

vsq_status vsq_gguf_open(const char *path, vsq_gguf *g);
/* Validate an image in memory; `buf` must outlive `g`. */
vsq_status vsq_gguf_parse(const uint8_t *buf, size_t len, const char *what, vsq_gguf *g);
void vsq_gguf_close(vsq_gguf *g);

const vsq_gguf_kv *vsq_gguf_find_kv(const vsq_gguf *g, const char *key);
const vsq_gguf_tensor *vsq_gguf_find_tensor(const vsq_gguf *g, const char *name);

/* Typed getters naming the file and key in errors: any integer type that
 * fits, a float (F32/F64), a string (malloc'ed copy, NUL-terminated). */
vsq_status vsq_gguf_get_int(const vsq_gguf *g, const char *key, int64_t *out);
vsq_status vsq_gguf_get_float(const vsq_gguf *g, const char *key, double *out);
vsq_status vsq_gguf_get_string(const vsq_gguf *g, const char *key, char **out);
/* Elements of a string array: ptrs/lens must hold kv->arr_n entries. */
vsq_status vsq_gguf_array_strings(const vsq_gguf *g, const vsq_gguf_kv *kv, const char **ptrs,
                                  uint64_t *lens);

const char *vsq_gguf_vtype_name(vsq_gguf_vtype t);
const char *vsq_ggml_type_name(vsq_ggml_type t); /* NULL if unknown */
/* Elements per block and bytes per block (0 if unknown). */
size_t vsq_ggml_block_size(vsq_ggml_type t);
size_t vsq_ggml_type_size(vsq_ggml_type t);

/* Reference dequantization of n contiguous values (n a multiple of the
 * block size), ggml's layouts:
 *   Q8_0: fp16 d, 32 x int8 q;              x = d q
 *   Q4_0: fp16 d, 16 bytes (q_j low nibble, q_{j+16} high); x = d (q - 8)
 *   Q4_1: fp16 d, fp16 m, 16 bytes as Q4_0;  x = d q + m */
void vsq_dequantize_row_q8_0(const void *src, float *dst, size_t n);
void vsq_dequantize_row_q4_0(const void *src, float *dst, size_t n);
void vsq_dequantize_row_q4_1(const void *src, float *dst, size_t n);

/* Whole tensor to float32 (numel floats at out); VSQ_EUNSUPPORTED for
 * types without a reference dequantizer, VSQ_ENONFINITE for NaN/Inf. */
vsq_status vsq_gguf_tensor_to_f32(const vsq_gguf *g, const vsq_gguf_tensor *t, float *out);

#ifdef __cplusplus
}
#endif
#endif
