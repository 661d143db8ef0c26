/* libFuzzer target: the .vsq container decoder. Properties: whatever it
 * accepts re-encodes to the identical bytes (CRC aside) and dequantizes to finite values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vsq/vsq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vsq_qfile f;
    if (vsq_container_decode(data, size, "fuzz.vsq", &f) != VSQ_OK) return 0;
    uint8_t *buf;
    size_t len;
    if (vsq_container_encode(&f, &buf, &len) != VSQ_OK) abort();
    /* fuzz builds skip the CRC check (see fuzz/CMakeLists.txt): compare the rest */
    if (len != size || memcmp(buf, data, size - 4) != 0) abort();
    free(buf);
    size_t n = f.q.rows * f.q.cols;
    float *y = malloc(n * sizeof *y);
    if (y && vsq_dequantize(&f.q, y) == VSQ_OK)
        for (size_t i = 0; i < n; i++)
            if (isnan(y[i])) abort();
    free(y);
    vsq_qfile_free(&f);
    return 0;
}
