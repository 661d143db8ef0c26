/* libFuzzer target: the ONNX importer (protobuf-c parse, graph checks,
 * shape inference, weight permutation) and, for a model it accepts that is
 * small enough, one forward pass of the graph executor on a zero image. */
#include <stdlib.h>

#include "models/cnn/cnn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cnn_model m;
    if (cnn_onnx_load_mem(data, size, "fuzz.onnx", &m) != VSQ_OK) {
        if (m.l || m.t || m.n) abort(); /* a failed load must not hand out memory */
        return 0;
    }
    if (m.out_t < 0 || m.out_t >= m.n_t || m.n_classes < 1) abort(); /* (an Identity-only graph has no nodes) */
    double macs = 0; /* keep each run fast under the sanitizers */
    for (int i = 0; i < m.n; i++) macs += (double)m.l[i].oh * m.l[i].ow * m.l[i].cout * (m.l[i].k + 1);
    if (macs < 2e7 && m.max_act < ((size_t)1 << 20) && m.max_col < ((size_t)1 << 22)) {
        cnn_work w;
        float *img = calloc((size_t)m.in_h * m.in_w * m.in_c, sizeof(float));
        float *logits = malloc((size_t)m.n_classes * sizeof(float));
        if (img && logits && cnn_work_alloc(&m, &w) == VSQ_OK) {
            if (cnn_forward(&m, NULL, &w, img, logits, NULL, NULL) != VSQ_OK) abort();
            cnn_work_free(&w);
        }
        free(img);
        free(logits);
    }
    cnn_model_free(&m);
    return 0;
}
