/* libFuzzer target: the BERT WordPiece tokenizer. The bytes are used twice:
 * as text for bert_encode with a fixed small vocabulary, and as a
 * vocabulary (vocab.txt content) that, when accepted, encodes the same text
 * and some fixed ones. Properties: invalid UTF-8 is the only refusal; the
 * result is [CLS] ... [SEP] with ids of the vocabulary; a shorter max_len
 * gives a prefix of the longer result (then [SEP]); every accepted token
 * string maps back to its id. */
#include <stdlib.h>
#include <string.h>

#include "models/bert/wordpiece.h"

static const char fixed_vocab[] =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nhello\nworld\n##s\n##ing\nun\n##aff\n##able\n"
    "a\n##a\n##b\n'\n,\n.\n!\n$\ncafe\n\xe4\xb8\x96\n\xe2\x80\x94\nx\n##x\n";

static int32_t *encode_checked(const bert_tokenizer *t, const char *text, int max_len, int *n) {
    int32_t *ids = malloc((size_t)max_len * sizeof *ids);
    if (!ids) abort();
    vsq_status s = bert_encode(t, text, max_len, ids, n);
    if (s != VSQ_OK) {
        if (s != VSQ_EINVAL || *n != 0) abort();
        free(ids);
        return NULL;
    }
    int cls = bert_token_id(t, "[CLS]"), sep = bert_token_id(t, "[SEP]");
    if (*n < 2 || *n > max_len || ids[0] != cls || ids[*n - 1] != sep) abort();
    for (int i = 0; i < *n; i++)
        if (!bert_token_str(t, ids[i])) abort();
    return ids;
}

/* Encode with room for everything and with a short max_len: prefix check. */
static void check_text(const bert_tokenizer *t, const char *text, size_t len, int short_len) {
    int n_full, n_short;
    /* room for 4 tokens per byte (far more than any text needs) */
    int full_len = (int)(4 * len + 3);
    int32_t *full = encode_checked(t, text, full_len, &n_full);
    int32_t *part = encode_checked(t, text, short_len, &n_short);
    if (!full != !part) abort(); /* validity does not depend on max_len */
    if (full) {
        if (n_full >= full_len) abort(); /* the bound above was not reached */
        int keep = n_short - 1;
        if (keep > n_full - 1 || (n_full <= short_len && n_short != n_full)) abort();
        if (memcmp(full, part, (size_t)keep * sizeof *full) != 0) abort();
    }
    free(full);
    free(part);
}

static void check_vocab(const uint8_t *data, size_t size, const char *text) {
    bert_tokenizer *t;
    if (bert_tokenizer_parse((const char *)data, size, "fuzz-vocab", size & 1, &t) != VSQ_OK) {
        if (t) abort();
        return;
    }
    for (int i = 0; i < bert_vocab_size(t); i++)
        if (bert_token_id(t, bert_token_str(t, i)) != i) abort();
    static const char *const texts[] = {"hello world", "Caf\xc3\xa9 [MASK] x", "a##b ##", ""};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        check_text(t, texts[i], strlen(texts[i]), 3);
    check_text(t, text, strlen(text), 5);
    bert_tokenizer_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bert_tokenizer *fixed;
    if (!fixed &&
        bert_tokenizer_parse(fixed_vocab, sizeof fixed_vocab - 1, "fixed", 1, &fixed) != VSQ_OK)
        abort();
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    int short_len = 2 + (size ? data[0] % 16 : 0);
    check_text(fixed, text, strlen(text), short_len);
    check_vocab(data, size, text);
    free(text);
    return 0;
}
