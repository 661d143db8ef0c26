/* Byte-level BPE tokenizer: merge order and pre-tokenization on a
 * hand-made vocabulary, bad input. (tests/test_bpe_smollm2.c: the real
 * SmolLM2 vocabulary.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf_testutil.h"
#include "models/llm/bpe.h"
#include "vsq/vsq.h"

/* A vocabulary of the bytes a b c, space (mapped to U+0120 "Ġ"), "1", and
 * merges "b c" (rank 0), "a b" (1), "a bc" (2), "Ġ a" (3). */
static bpe_tokenizer *tiny(wbuf *w, vsq_gguf *g, const char *pre) {
    static const char *const toks[] = {"a", "b", "c", "\xc4\xa0", "1", "ab", "bc", "abc", "\xc4\xa0" "a"};
    static const char *const merges[] = {"b c", "a b", "a bc", "\xc4\xa0 a"};
    put_header(w, 3, 0, 4);
    put_kv_str(w, "tokenizer.ggml.model", "gpt2");
    put_kv_str(w, "tokenizer.ggml.pre", pre);
    put_kv_str_array(w, "tokenizer.ggml.tokens", toks, 9);
    put_kv_str_array(w, "tokenizer.ggml.merges", merges, 4);
    assert_int_equal(vsq_gguf_parse(w->b, w->n, "tiny.gguf", g), VSQ_OK);
    bpe_tokenizer *t;
    assert_int_equal(bpe_tokenizer_from_gguf(g, &t), VSQ_OK);
    return t;
}

static void expect_ids(const bpe_tokenizer *t, const char *text, const int32_t *want, size_t n) {
    int32_t *ids;
    size_t k;
    assert_int_equal(bpe_encode(t, text, strlen(text), &ids, &k), VSQ_OK);
    if (k != n) fail_msg("\"%s\": %zu tokens, want %zu", text, k, n);
    for (size_t i = 0; i < n; i++)
        if (ids[i] != want[i]) fail_msg("\"%s\": token %zu is %d, want %d", text, i, ids[i], want[i]);
    free(ids);
}

static void test_merge_order(void **state) {
    wbuf w;
    vsq_gguf g;
    bpe_tokenizer *t = tiny(&w, &g, "gpt2");
    /* b+c (rank 0) before a+b (rank 1), then a+bc: one token */
    expect_ids(t, "abc", (int32_t[]){7}, 1);
    /* "ab" merges; "cab": c | ab (no "c a" merge) */
    expect_ids(t, "cab", (int32_t[]){2, 5}, 2);
    /* " a" merges across the space (a letter run with its leading space) */
    expect_ids(t, "a a", (int32_t[]){0, 8}, 2);
    /* two spaces before a letter: the first stands alone */
    expect_ids(t, "a  a", (int32_t[]){0, 3, 8}, 3);
    /* digits: "a1" splits letter | number */
    expect_ids(t, "a11", (int32_t[]){0, 4, 4}, 3);
    size_t len;
    const char *s = bpe_token_bytes(t, 8, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(s, " a", 2); /* Ġ decodes to the space byte */
    assert_null(bpe_token_bytes(t, 9, &len));
    /* a byte with no token in this vocabulary */
    int32_t *ids;
    size_t k;
    assert_int_equal(bpe_encode(t, "d", 1, &ids, &k), VSQ_EFORMAT);
    assert_int_equal(bpe_encode(t, "a\xff", 2, &ids, &k), VSQ_EINVAL);
    assert_non_null(strstr(vsq_last_error(), "byte 1"));
    bpe_tokenizer_free(t);
    vsq_gguf_close(&g);
}

static void test_bad_metadata(void **state) {
    wbuf w;
    vsq_gguf g;
    bpe_tokenizer *t;
    put_header(&w, 3, 0, 1);
    put_kv_str(&w, "tokenizer.ggml.model", "llama");
    assert_int_equal(vsq_gguf_parse(w.b, w.n, "x.gguf", &g), VSQ_OK);
    assert_int_equal(bpe_tokenizer_from_gguf(&g, &t), VSQ_EUNSUPPORTED);
    assert_non_null(strstr(vsq_last_error(), "\"llama\""));
    vsq_gguf_close(&g);
    put_header(&w, 3, 0, 1);
    put_kv_str(&w, "tokenizer.ggml.model", "gpt2");
    assert_int_equal(vsq_gguf_parse(w.b, w.n, "x.gguf", &g), VSQ_OK);
    assert_int_equal(bpe_tokenizer_from_gguf(&g, &t), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "tokenizer.ggml.tokens"));
    vsq_gguf_close(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_order),
        cmocka_unit_test(test_bad_metadata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
