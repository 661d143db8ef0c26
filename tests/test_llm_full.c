/* ctest-label: full */
/* test_llm_full.c - full-text perplexity of stories260K on the shared
 * TinyStories prefix with the llama.cpp protocol (767 windows, 195,585
 * scored tokens) against llama.cpp's fp32 PPL 4.9744, and its Q8_0-style
 * block format against llama.cpp's Q8_0 (4.9828). A few minutes. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
/* cmocka needs the three headers above first */
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "models/llm/llm.h"

static llm_model model;
static llm_tokenizer tok;
static int *tokens;
static size_t n_tokens;

static int setup(void **state) {
    (void)state;
    const char *d = getenv("VSQ_SHARED");
    if (!d || !*d) d = VSQ_SHARED_DIR;
    char m[1024], t[1024], x[1024];
    snprintf(m, sizeof m, "%s/models/stories260K/stories260K.bin", d);
    snprintf(t, sizeof t, "%s/models/stories260K/tok512.bin", d);
    snprintf(x, sizeof x, "%s/data/tinystories-val/valid-prefix.txt", d);
    if (llm_open(m, t, &model, &tok)) return -1;
    return llm_tokenize_file(&tok, x, &tokens, &n_tokens) ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    free(tokens);
    llm_tokenizer_free(&tok);
    llm_free(&model);
    return 0;
}

static double full_ppl(const char *w, const char *a) {
    llm_quant_opts q = {.w = w, .a = a};
    assert_int_equal(llm_quantize(&model, &q), VSQ_OK);
    llm_ppl_opts o = {.ctx = 512};
    llm_ppl_result r;
    assert_int_equal(llm_perplexity(&model, tokens, n_tokens, &o, &r), VSQ_OK);
    assert_int_equal(r.windows, 767);
    assert_int_equal(r.tokens, 767 * 255);
    printf("# W %s A %s: PPL %.4f NLL %.5f\n", w ? w : "fp32", a ? a : "fp32", r.ppl, r.nll);
    return r.ppl;
}

static void test_fp32_matches_llama_cpp(void **state) {
    (void)state;
    assert_int_equal(n_tokens, 393019);
    assert_true(fabs(full_ppl(NULL, NULL) - 4.9744) < 0.005);
}

/* Q8_0 = 8-bit codes, one fp16 scale per 32 weights (activations Q8_0 as
 * well); VS-Quant's int8:v32:fp16 is the same layout up to rounding. */
static void test_q8_block_near_llama_cpp(void **state) {
    (void)state;
    assert_true(fabs(full_ppl("int8:v32:fp16", "int8:v32:fp16") - 4.9828) < 0.01);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fp32_matches_llama_cpp),
        cmocka_unit_test(test_q8_block_near_llama_cpp),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
