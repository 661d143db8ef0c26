/* libFuzzer target: the safetensors reader. Properties: whatever it
 * accepts lies inside the input with exactly numel * dtype-size bytes per
 * tensor, each name is found again, every F32/F16/BF16 tensor reads out
 * finite (or is refused as non-finite), other dtypes are refused, and a
 * wrong expected shape is refused. */
#include <math.h>
#include <stdlib.h>

#include "vsq/safetensors.h"

static void check_tensor(const vsq_safetensors *st, const vsq_st_tensor *t, const uint8_t *data,
                         size_t size) {
    if (t->data < data || t->nbytes > size || t->data > data + (size - t->nbytes)) abort();
    if (t->numel * vsq_st_dtype_size(t->dtype) != t->nbytes) abort();
    if (vsq_safetensors_find(st, t->name) != t) abort();
    float *x = NULL;
    vsq_status s = vsq_safetensors_get_f32(st, t->name, 0, NULL, &x);
    int floaty = t->dtype == VSQ_ST_F32 || t->dtype == VSQ_ST_F16 || t->dtype == VSQ_ST_BF16;
    if (s == VSQ_OK) {
        if (!floaty || !x) abort();
        for (size_t i = 0; i < t->numel; i++)
            if (!isfinite(x[i])) abort();
        free(x);
    } else if (x || (floaty ? s != VSQ_ENONFINITE : s != VSQ_EUNSUPPORTED)) {
        abort();
    }
    /* one more dim than the tensor has can never match */
    size_t shape[VSQ_MAX_DIMS + 1] = {0};
    if (t->ndim < VSQ_MAX_DIMS &&
        vsq_safetensors_get_f32(st, t->name, t->ndim + 1, shape, &x) != VSQ_EFORMAT)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vsq_safetensors st;
    if (vsq_safetensors_parse(data, size, "fuzz.safetensors", &st) != VSQ_OK) {
        if (st.tensors || st.path) abort(); /* a failed parse holds nothing */
        return 0;
    }
    for (size_t i = 0; i < st.n_tensors; i++) check_tensor(&st, &st.tensors[i], data, size);
    float *x;
    if (vsq_safetensors_get_f32(&st, "no such tensor \x01", 0, NULL, &x) != VSQ_EFORMAT) abort();
    vsq_safetensors_close(&st);
    return 0;
}
