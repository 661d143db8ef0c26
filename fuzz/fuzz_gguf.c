/* libFuzzer target: the GGUF reader, its getters and the reference
 * dequantizers on every tensor it accepts. */
#include <stdlib.h>

#include "vsq/gguf.h"
#include "vsq/vsq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vsq_gguf g;
    if (vsq_gguf_parse(data, size, "fuzz.gguf", &g) != VSQ_OK) {
        if (g.tensors || g.kv) abort(); /* a failed parse must not hand out memory */
        return 0;
    }
    for (size_t i = 0; i < g.n_kv; i++) {
        const vsq_gguf_kv *kv = &g.kv[i];
        int64_t v;
        double f;
        char *s = NULL;
        (void)vsq_gguf_get_int(&g, kv->key, &v);
        (void)vsq_gguf_get_float(&g, kv->key, &f);
        if (vsq_gguf_get_string(&g, kv->key, &s) == VSQ_OK) free(s);
        if (kv->type == VSQ_GGUF_ARRAY && kv->arr_type == VSQ_GGUF_STRING && kv->arr_n < 4096) {
            const char **p = malloc((kv->arr_n + 1) * sizeof *p);
            uint64_t *l = malloc((kv->arr_n + 1) * sizeof *l);
            if (p && l && vsq_gguf_array_strings(&g, kv, p, l) == VSQ_OK)
                for (uint64_t j = 0; j < kv->arr_n; j++)
                    if (p[j] < (const char *)data || p[j] + l[j] > (const char *)data + size) abort();
            free(p);
            free(l);
        }
    }
    for (size_t i = 0; i < g.n_tensors; i++) {
        const vsq_gguf_tensor *t = &g.tensors[i];
        if (t->data < data || t->data + t->nbytes > data + size) abort();
        if (t->numel > 1 << 16) continue;
        float *x = malloc(t->numel * sizeof *x);
        if (x) (void)vsq_gguf_tensor_to_f32(&g, t, x);
        free(x);
    }
    vsq_gguf_close(&g);
    return 0;
}
