/* libFuzzer target: the TF.js "layers" model loader (model.json, its
 * weights manifest and the Keras topology). Input: model.json bytes, a NUL,
 * then the weight bytes, which the in-memory shard reader hands out for the
 * first shard path (later paths read as empty). Property: an accepted
 * model has a consistent layer chain, and a small one runs one forward
 * pass on a zero image without error or sanitizer report. */
#include <stdlib.h>
#include <string.h>

#include "models/cnn/cnn.h"

typedef struct {
    const uint8_t *p;
    size_t n;
} blob;

static vsq_status read_blob(void *ctx, const char *what, const char *name, uint8_t **buf, size_t *len) {
    (void)what, (void)name;
    blob *b = ctx;
    *buf = malloc(b->n + 1);
    if (!*buf) return vsq_error(VSQ_ENOMEM, "fuzz: no memory");
    memcpy(*buf, b->p, b->n);
    *len = b->n;
    b->n = 0; /* later shards are empty */
    return VSQ_OK;
}

static void check_model(const cnn_model *m) {
    if (m->n < 1 || m->n_classes < 1) abort();
    for (int i = 1; i < m->n; i++) /* each layer reads what the previous one wrote */
        if (m->l[i].ih != m->l[i - 1].oh || m->l[i].iw != m->l[i - 1].ow) abort();
    if (m->max_act > (1u << 20) || m->max_col > (1u << 20)) return; /* too big to run here */
    cnn_work w;
    if (cnn_work_alloc(m, &w) != VSQ_OK) return;
    size_t n_in = (size_t)m->in_h * m->in_w * m->in_c;
    float *img = calloc(n_in, sizeof *img), *logits = malloc((size_t)m->n_classes * sizeof *logits);
    if (img && logits && cnn_forward(m, NULL, &w, img, logits, NULL, NULL) != VSQ_OK) abort();
    free(img), free(logits);
    cnn_work_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    size_t json_len = nul ? (size_t)(nul - data) : size;
    blob b = {nul ? nul + 1 : data + size, nul ? size - json_len - 1 : 0};
    cnn_shard_reader r = {read_blob, &b, "fuzz"};
    cnn_model m;
    if (cnn_model_parse((const char *)data, json_len, &r, &m) != VSQ_OK) return 0;
    check_model(&m);
    cnn_model_free(&m);
    return 0;
}
