/* ctest-label: model */
/* Byte-level BPE on the real SmolLM2-135M vocabulary (49,152 tokens, 48,900
 * merges): the pieces the pre-tokenization rules give, checked token by
 * token, and a lossless round trip over mixed scripts. Exit 77 (CTest:
 * skipped) when scripts/fetch-models.sh could not fetch the file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/llm/bpe.h"
#include "vsq/vsq.h"

/* Real vocabulary: the pieces that the pre-tokenization rules give. */
static const char *gguf_path(void) {
    static char path[1024];
    const char *p = getenv("VSQ_GGUF");
    if (p) return p;
    const char *c = getenv("VSQ_CACHE"), *h = getenv("HOME");
    if (c) snprintf(path, sizeof path, "%s/SmolLM2-135M-Instruct.Q4_1.gguf", c);
    else snprintf(path, sizeof path, "%s/.cache/vsquant/SmolLM2-135M-Instruct.Q4_1.gguf", h ? h : ".");
    return path;
}

static void expect_pieces(const bpe_tokenizer *t, const char *text, const char *const *want,
                          size_t n) {
    int32_t *ids;
    size_t k;
    assert_int_equal(bpe_encode(t, text, strlen(text), &ids, &k), VSQ_OK);
    if (k != n) fail_msg("\"%s\": %zu tokens, want %zu", text, k, n);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *s = bpe_token_bytes(t, ids[i], &len);
        if (len != strlen(want[i]) || memcmp(s, want[i], len) != 0)
            fail_msg("\"%s\": token %zu is \"%.*s\", want \"%s\"", text, i, (int)len, s, want[i]);
    }
    free(ids);
}

static void test_smollm2_vocab(void **state) {
    vsq_gguf g;
    assert_int_equal(vsq_gguf_open(gguf_path(), &g), VSQ_OK);
    bpe_tokenizer *t;
    assert_int_equal(bpe_tokenizer_from_gguf(&g, &t), VSQ_OK);
    assert_int_equal(bpe_vocab_size(t), 49152);
    /* contractions, a letter run with its space, punctuation */
    expect_pieces(t, "It's here!", (const char *const[]){"It", "'s", " here", "!"}, 4);
    /* smollm: every digit alone, the space before a number alone */
    expect_pieces(t, "in 2026", (const char *const[]){"in", " ", "2", "0", "2", "6"}, 6);
    /* whitespace run before a word keeps its last space for the word */
    expect_pieces(t, "a   b", (const char *const[]){"a", "  ", " b"}, 3);
    /* a newline is not the optional space of " ?\p{L}+" */
    expect_pieces(t, "x\nNew", (const char *const[]){"x", "\n", "New"}, 3);
    /* lossless round trip over mixed scripts */
    const char *text = "naïve café — 東京, ünïcödé\t\tend  ";
    int32_t *ids;
    size_t k, pos = 0;
    assert_int_equal(bpe_encode(t, text, strlen(text), &ids, &k), VSQ_OK);
    for (size_t i = 0; i < k; i++) {
        size_t len;
        const char *s = bpe_token_bytes(t, ids[i], &len);
        assert_true(pos + len <= strlen(text));
        assert_memory_equal(s, text + pos, len);
        pos += len;
    }
    assert_int_equal(pos, strlen(text));
    free(ids);
    bpe_tokenizer_free(t);
    vsq_gguf_close(&g);
}


int main(void) {
    if (access(gguf_path(), R_OK) != 0) {
        printf("SKIP: %s absent (scripts/fetch-models.sh fetches it)\n", gguf_path());
        return 77;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_smollm2_vocab)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
