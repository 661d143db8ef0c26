/* libFuzzer target: the llama2.c checkpoint reader (7-int32 header, then
 * float32 weights whose count the header implies). Property: an accepted
 * checkpoint runs two forward steps without error or sanitizer report. */
#include <stdlib.h>
#include <string.h>

#include "models/llm/llm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    float *copy = malloc(size + sizeof(float)); /* the reader wants 4-byte alignment */
    if (!copy) return 0;
    memcpy(copy, data, size);
    llm_model m;
    if (llm_parse(copy, size, "fuzz.bin", &m) == VSQ_OK) {
        llm_state s;
        if (m.cfg.seq_len >= 2 && llm_state_init(&s, &m.cfg) == VSQ_OK) {
            if (!llm_forward(&m, &s, 1 % m.cfg.vocab_size, 0)) abort();
            if (!llm_forward(&m, &s, 0, 1)) abort();
            llm_state_free(&s);
        }
        llm_free(&m);
    }
    free(copy);
    return 0;
}
