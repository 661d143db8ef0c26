/* libFuzzer target: the .npy parser and the matrix view of what it accepts. */
#include <stdlib.h>

#include "vsq/vsq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vsq_tensor t;
    if (vsq_npy_parse(data, size, "fuzz.npy", &t) != VSQ_OK) {
        if (t.data) abort(); /* a failed parse must not hand out memory */
        return 0;
    }
    /* Accepted: the data section must hold exactly numel * itemsize bytes. */
    if (vsq_tensor_numel(&t) * vsq_dtype_size(t.dtype) > size) abort();
    float *m = NULL;
    size_t rows, cols, channels;
    if (vsq_tensor_to_matrix(&t, -1, &m, &rows, &cols, &channels) == VSQ_OK) {
        if (rows * cols != vsq_tensor_numel(&t) && t.ndim > 0) abort();
        free(m);
    }
    vsq_tensor_free(&t);
    return 0;
}
