/* vsq/bpe.h - byte-level BPE tokenizer (GPT-2 style) as GGUF files
 * carry it: tokenizer.ggml.model "gpt2", tokenizer.ggml.tokens (strings in
 * the byte-to-unicode alphabet) and tokenizer.ggml.merges ("A B", rank =
 * position).
 *
 * Encoding, as llama.cpp does for these files:
 *  1. pre-tokenization by tokenizer.ggml.pre: "smollm" (and the other
 *     "digits first" types) first isolates every \p{N} code point, then
 *     every piece is split by the GPT-2 pattern
 *       's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *     "gpt2" applies only the GPT-2 pattern;
 *  2. each piece's UTF-8 bytes are mapped to the byte-to-unicode alphabet;
 *  3. adjacent symbols are merged, lowest merge rank first (leftmost on
 *     ties), until no listed merge applies; the symbols are the tokens.
 * Text is taken literally: special tokens written in the text are not
 * parsed; no BOS is added here.
 */
#ifndef VSQ_BPE_H
#define VSQ_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "vsq/gguf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bpe_tokenizer bpe_tokenizer;

/* Build from a GGUF file's tokenizer metadata. Errors name the key. */
vsq_status bpe_tokenizer_from_gguf(const vsq_gguf *g, bpe_tokenizer **out);
void bpe_tokenizer_free(bpe_tokenizer *t);

/* Encode `len` bytes of UTF-8 text; *ids is malloc'ed (caller frees).
 * Invalid UTF-8 is VSQ_EINVAL naming the byte offset. */
vsq_status bpe_encode(const bpe_tokenizer *t, const char *text, size_t len, int32_t **ids,
                      size_t *n_ids);

/* The bytes a token stands for, NUL-terminated (NULL for an id out of
 * range). */
const char *bpe_token_bytes(const bpe_tokenizer *t, int32_t id, size_t *len);
int bpe_vocab_size(const bpe_tokenizer *t);
int32_t bpe_bos(const bpe_tokenizer *t); /* tokenizer.ggml.bos_token_id or -1 */
int32_t bpe_eos(const bpe_tokenizer *t);

#ifdef __cplusplus
}
#endif
#endif
