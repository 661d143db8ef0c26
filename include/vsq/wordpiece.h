/* vsq/wordpiece.h - the BERT WordPiece tokenizer (uncased or cased),
 * equal to Hugging Face `tokenizers`' BertNormalizer + BertPreTokenizer +
 * WordPiece + the [CLS] ... [SEP] template (and so to BertTokenizer).
 *
 * Pipeline of bert_encode:
 *   0. the special tokens [PAD] [UNK] [CLS] [SEP] [MASK] (those in the vocab)
 *      are cut out of the raw text and kept whole, as HF's added tokens;
 *   1. clean: drop NUL, U+FFFD and control characters (category C*, except
 *      tab/newline/CR); White_Space characters become ' ';
 *   2. CJK ideographs get a space on each side;
 *   3. (strip accents) NFD, then drop nonspacing marks (Mn);
 *   4. (lower case) per code point lower-casing;
 *   5. split on whitespace, and around every punctuation character (ASCII
 *      33-47, 58-64, 91-96, 123-126, and Unicode P*);
 *   6. per word: greedy longest-match-first pieces, continuations prefixed
 *      "##"; a word of more than 100 code points, or with a remainder that
 *      no piece matches, is one [UNK];
 *   7. [CLS] pieces [SEP], pieces cut so that at most max_len ids remain.
 * Unicode data (decomposition, case, categories) come from libutf8proc.
 */
#ifndef VSQ_WORDPIECE_H
#define VSQ_WORDPIECE_H

#include <stddef.h>
#include <stdint.h>
#include "vsq/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bert_tokenizer bert_tokenizer; /* opaque */

/* Longest word WordPiece splits (code points); longer words are [UNK]. */
#define BERT_MAX_WORD_CHARS 100
/* Longest vocab.txt line accepted (bytes). */
#define BERT_MAX_TOKEN_BYTES 1024

/* Load vocab.txt (one token per line, id = line index; trailing spaces,
 * tabs and CR are trimmed, as `tokenizers` does). Errors (VSQ_EFORMAT,
 * naming the file): missing [UNK]/[CLS]/[SEP]/[PAD], duplicate or empty
 * token, empty file, line over BERT_MAX_TOKEN_BYTES, invalid UTF-8.
 * do_lower_case: 1 for uncased models (also strips accents, as HF
 * BertTokenizer does when strip_accents is unset). */
vsq_status bert_tokenizer_load(const char *vocab_path, int do_lower_case, bert_tokenizer **out);

/* The same from vocab text in memory (tests, fuzzer); `what` names it in
 * messages. */
vsq_status bert_tokenizer_parse(const char *text, size_t len, const char *what,
                                int do_lower_case, bert_tokenizer **out);

/* DIR/vocab.txt, with do_lower_case (default 1) and strip_accents (default:
 * = do_lower_case) from DIR/tokenizer_config.json when that file exists. */
vsq_status bert_tokenizer_load_dir(const char *model_dir, bert_tokenizer **out);

void bert_tokenizer_free(bert_tokenizer *t);

/* [CLS] wordpieces [SEP], truncated to max_len (>= 2) ids in total (pieces
 * cut so that [SEP] stays last). ids must hold max_len ints. Invalid UTF-8
 * in text -> VSQ_EINVAL naming the byte offset. */
vsq_status bert_encode(const bert_tokenizer *t, const char *text, int max_len, int32_t *ids,
                       int *n_ids);

int bert_token_id(const bert_tokenizer *t, const char *token); /* -1 if absent */
const char *bert_token_str(const bert_tokenizer *t, int id);    /* NULL if out of range */
int bert_vocab_size(const bert_tokenizer *t);

#ifdef __cplusplus
}
#endif
#endif
