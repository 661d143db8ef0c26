/* In-memory tensors: sizes, dtype conversion to float32, and the matrix
 * view used by every quantizer (vector axis moved last, vsq/quant.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vsq/tensor.h"

size_t vsq_tensor_numel(const vsq_tensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

size_t vsq_dtype_size(vsq_dtype d) {
    switch (d) {
    case VSQ_DTYPE_F32: return 4;
    case VSQ_DTYPE_F64: return 8;
    case VSQ_DTYPE_I8: return 1;
    case VSQ_DTYPE_U8: return 1;
    case VSQ_DTYPE_I32: return 4;
    }
    return 0;
}

const char *vsq_dtype_name(vsq_dtype d) {
    switch (d) {
    case VSQ_DTYPE_F32: return "float32";
    case VSQ_DTYPE_F64: return "float64";
    case VSQ_DTYPE_I8: return "int8";
    case VSQ_DTYPE_U8: return "uint8";
    case VSQ_DTYPE_I32: return "int32";
    }
    return "unknown";
}

void vsq_tensor_free(vsq_tensor *t) {
    if (!t) return;
    free(t->data);
    t->data = NULL;
}

vsq_status vsq_tensor_to_f32(const vsq_tensor *t, float **out) {
    *out = NULL;
    if (!t || t->ndim < 0 || t->ndim > VSQ_MAX_DIMS)
        return vsq_error(VSQ_EINVAL, "tensor_to_f32: invalid tensor");
    size_t n = vsq_tensor_numel(t);
    if (n > 0 && !t->data) return vsq_error(VSQ_EINVAL, "tensor_to_f32: tensor has no data");
    float *y = malloc(n ? n * sizeof(float) : 1);
    if (!y) return vsq_error(VSQ_ENOMEM, "tensor_to_f32: out of memory (%zu elements)", n);
    switch (t->dtype) {
    case VSQ_DTYPE_F32: memcpy(y, t->data, n * sizeof(float)); break;
    case VSQ_DTYPE_F64: {
        const double *x = t->data;
        for (size_t i = 0; i < n; i++) {
            /* A finite double beyond float range would silently become Inf. */
            if (isfinite(x[i]) && fabs(x[i]) > 3.4028234663852886e38) {
                free(y);
                return vsq_error(VSQ_ENONFINITE,
                                 "tensor_to_f32: element %zu (%g) is outside the float32 range",
                                 i, x[i]);
            }
            y[i] = (float)x[i];
        }
        break;
    }
    case VSQ_DTYPE_I8: {
        const int8_t *x = t->data;
        for (size_t i = 0; i < n; i++) y[i] = (float)x[i];
        break;
    }
    case VSQ_DTYPE_U8: {
        const uint8_t *x = t->data;
        for (size_t i = 0; i < n; i++) y[i] = (float)x[i];
        break;
    }
    case VSQ_DTYPE_I32: {
        const int32_t *x = t->data;
        for (size_t i = 0; i < n; i++) y[i] = (float)x[i]; /* exact up to 2^24 */
        break;
    }
    default:
        free(y);
        return vsq_error(VSQ_EINVAL, "tensor_to_f32: unknown dtype %d", (int)t->dtype);
    }
    *out = y;
    return VSQ_OK;
}

/* Split the shape around `axis`: outer (axes before), n (the axis), inner
 * (axes after). A 0-d tensor is a single 1-element vector. */
static vsq_status split_axis(const vsq_tensor *t, int axis, int *ax, size_t *outer, size_t *n,
                             size_t *inner) {
    if (t->ndim < 0 || t->ndim > VSQ_MAX_DIMS)
        return vsq_error(VSQ_EINVAL, "tensor: invalid ndim %d", t->ndim);
    int nd = t->ndim ? t->ndim : 1;
    int a = axis < 0 ? axis + nd : axis;
    if (a < 0 || a >= nd)
        return vsq_error(VSQ_EINVAL, "axis %d is out of range for a %d-d tensor", axis, t->ndim);
    *ax = a;
    *outer = *inner = 1;
    *n = t->ndim ? t->shape[a] : 1;
    for (int i = 0; i < t->ndim; i++) {
        if (i < a) *outer *= t->shape[i];
        if (i > a) *inner *= t->shape[i];
    }
    return VSQ_OK;
}

vsq_status vsq_tensor_to_matrix(const vsq_tensor *t, int axis, float **out, size_t *rows,
                                size_t *cols, size_t *channels) {
    *out = NULL;
    int a;
    size_t outer, n, inner;
    vsq_status st = split_axis(t, axis, &a, &outer, &n, &inner);
    if (st) return st;
    float *x;
    if ((st = vsq_tensor_to_f32(t, &x))) return st;
    *rows = outer * inner;
    *cols = n;
    /* channel axis: the first axis that is not the vector axis */
    *channels = t->ndim < 2 ? 1 : t->shape[a == 0 ? 1 : 0];
    if (inner == 1) { /* vector axis already last: the data is the matrix */
        *out = x;
        return VSQ_OK;
    }
    size_t total = outer * n * inner;
    float *m = malloc(total ? total * sizeof(float) : 1);
    if (!m) {
        free(x);
        return vsq_error(VSQ_ENOMEM, "tensor_to_matrix: out of memory (%zu elements)", total);
    }
    /* t[o][k][i] -> m[(o*inner + i)][k] */
    for (size_t o = 0; o < outer; o++)
        for (size_t k = 0; k < n; k++)
            for (size_t i = 0; i < inner; i++)
                m[(o * inner + i) * n + k] = x[(o * n + k) * inner + i];
    free(x);
    *out = m;
    return VSQ_OK;
}

vsq_status vsq_matrix_to_tensor(const float *m, const vsq_tensor *like, int axis, float *out) {
    int a;
    size_t outer, n, inner;
    vsq_status st = split_axis(like, axis, &a, &outer, &n, &inner);
    if (st) return st;
    if (inner == 1) {
        memmove(out, m, outer * n * sizeof(float));
        return VSQ_OK;
    }
    for (size_t o = 0; o < outer; o++)
        for (size_t k = 0; k < n; k++)
            for (size_t i = 0; i < inner; i++)
                out[(o * n + k) * inner + i] = m[(o * inner + i) * n + k];
    return VSQ_OK;
}
