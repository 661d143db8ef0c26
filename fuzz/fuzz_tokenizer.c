/* libFuzzer target: the llama2.c tokenizer reader. Input: one byte that
 * picks the vocabulary size (259 + byte), then the tokenizer.bin image.
 * Property: an accepted tokenizer encodes a fixed text (with byte
 * fallback) into valid ids, and every id decodes to a string. */
#include <stdlib.h>
#include <string.h>

#include "models/llm/llm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    llm_tokenizer t;
    if (llm_tokenizer_parse(data + 1, size - 1, 259 + data[0], "fuzz.tok", &t) != VSQ_OK) return 0;
    static const char text[] = "Once upon a time, \xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80 <0x41> x";
    int tokens[sizeof text + 3], n = 0;
    if (llm_encode(&t, text, 1, 1, tokens, &n) != VSQ_OK) abort();
    if (n < 2 || n > (int)sizeof text + 3) abort();
    for (int i = 0; i < n; i++) {
        if (tokens[i] < 0 || tokens[i] >= t.vocab_size) abort();
        if (!llm_decode(&t, i ? tokens[i - 1] : LLM_BOS, tokens[i])) abort();
    }
    llm_tokenizer_free(&t);
    return 0;
}
