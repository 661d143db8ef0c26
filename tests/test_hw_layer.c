/* ctest-label: model */
/* test_hw_layer.c - a real layer through the PE model (paper 5): layer 0
 * of stories260K, x = rmsnorm(embedding) as activations times W_q, in
 * several W/A/ws/as configurations. The PE's integers must equal
 * vsq_gemm_ref's, with no accumulator overflow at the proven width.
 * Skipped when ../shared/models/stories260K is absent. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hw/hw.h"
#include "test_util.h"

typedef struct {
    int dim, hidden, layers, heads, kv_heads, vocab, seq;
} llama_hdr;

/* Read the llama2.c checkpoint header and the first weights we need:
 * token embeddings, layer-0 attention rmsnorm weights and W_q. */
static float *load_stories(llama_hdr *h) {
    const char *env = getenv("VSQ_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/models/stories260K/stories260K.bin",
             env && *env ? env : VSQ_SHARED_DIR);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    float *w = NULL;
    if (fread(h, sizeof(int), 7, f) == 7 && h->dim > 0 && h->dim <= 4096) {
        int vocab = abs(h->vocab);
        size_t n = (size_t)vocab * h->dim + (size_t)h->layers * h->dim +
                   (size_t)h->dim * h->dim; /* emb, rms_att, wq of layer 0 */
        w = malloc(n * sizeof *w);
        if (w && fread(w, sizeof *w, n, f) != n) { free(w); w = NULL; }
    }
    fclose(f);
    return w;
}

static void test_real_layer(void **state) {
    (void)state;
    llama_hdr h;
    float *w = load_stories(&h);
    if (!w) {
        test_skip_program("stories260K not found: the real-layer PE check did not run");
    }
    int d = h.dim, vocab = abs(h.vocab);
    size_t m = 48;
    const float *emb = w, *rms = w + (size_t)vocab * d, *wq = rms + (size_t)h.layers * d;
    float *x = malloc(m * d * sizeof *x);
    for (size_t t = 0; t < m; t++) { /* x = rmsnorm(emb[token]) * g (llama2.c) */
        const float *e = emb + ((t * 37) % vocab) * d;
        double ss = 0;
        for (int i = 0; i < d; i++) ss += (double)e[i] * e[i];
        float r = (float)(1.0 / sqrt(ss / d + 1e-5));
        for (int i = 0; i < d; i++) x[t * d + i] = e[i] * r * rms[i];
    }
    const char *cfgs[] = {"4/8/6/10", "4/4/4/4", "8/8/-/-", "6/8/6/-", "3/8/-/6"};
    const int rounds[] = {0, 4, 6};
    float *y = malloc(m * d * 4), *yr = malloc(m * d * 4);
    int64_t *acc = malloc(m * d * 8), *ref = malloc(m * d * 8);
    for (size_t c = 0; c < sizeof cfgs / sizeof *cfgs; c++) {
        for (int r = 0; r < 3; r++) {
            vsq_layer_cfg lc;
            assert_int_equal(vsq_layer_cfg_parse(cfgs[c], 16, &lc), VSQ_OK);
            vsq_qtensor qa = {0}, qw = {0};
            assert_int_equal(vsq_quantize(&lc.a, x, m, (size_t)d, 1, &qa), VSQ_OK);
            assert_int_equal(vsq_quantize(&lc.w, wq, (size_t)d, (size_t)d, (size_t)d, &qw), VSQ_OK);
            vsq_pe_opts po = {0, rounds[r], 0, 0, 0, 0, 0};
            assert_int_equal(vsq_pe_gemm(&qa, &qw, &po, acc, y), VSQ_OK);
            assert_int_equal(vsq_gemm_ref(&qa, &qw, rounds[r], yr, ref), VSQ_OK);
            assert_int_equal(po.overflows, 0);
            if (rounds[r])
                print_message("%s R=%d: gateable vector MACs %.3f\n", cfgs[c], rounds[r],
                              (double)po.n_gated / (double)po.n_vmac);
            for (size_t i = 0; i < m * (size_t)d; i++) {
                assert_true(acc[i] == ref[i]);
                assert_true(y[i] == yr[i]);
            }
            vsq_qtensor_free(&qa);
            vsq_qtensor_free(&qw);
        }
    }
    free(x), free(y), free(yr), free(acc), free(ref), free(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_real_layer)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
