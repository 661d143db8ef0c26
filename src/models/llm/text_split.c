/* Reading and tokenizing an evaluation text, whole or one part of its
 * selection / held-out split.
 *
 * Choosing bit mixes, clip methods or options on the same text a result is
 * reported on overstates it. The split keeps the two apart: everything is
 * chosen on the first part ("select") and reported on the second
 * ("heldout"). The boundary is a rule, not a number, so it is the same for
 * every run: the first story start -- a paragraph beginning "Once upon a
 * time" -- at or after the middle byte of the text. Each part is tokenized
 * on its own, BOS first, like a separate file.
 */
#include "models/llm/llm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char STORY_START[] = "\n\nOnce upon a time";

/* Whole file into a NUL-terminated buffer (a NUL inside is refused). */
static vsq_status read_text(const char *path, char **out, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return vsq_error(VSQ_EIO, "%s: cannot open text", path);
    size_t cap = 1 << 20, n = 0;
    char *text = malloc(cap + 1);
    for (size_t got; text && (got = fread(text + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            char *nt = cap <= SIZE_MAX / 2 - 1 ? realloc(text, (cap *= 2) + 1) : NULL;
            if (!nt) free(text);
            text = nt;
        }
    }
    fclose(f);
    if (!text) return vsq_error(VSQ_ENOMEM, "%s: out of memory reading text", path);
    text[n] = '\0';
    if (strlen(text) != n) {
        free(text);
        return vsq_error(VSQ_EFORMAT, "%s: text contains a NUL byte", path);
    }
    *out = text;
    *len = n;
    return VSQ_OK;
}

vsq_status llm_split_point(const char *text, size_t n, const char *what, size_t *at) {
    const char *hit = strstr(text + n / 2, STORY_START);
    if (!hit || (size_t)(hit - text) >= n)
        return vsq_error(VSQ_EINVAL,
                         "%s: no story start (\"Once upon a time\" after a blank line) in the "
                         "second half of the text to split at; use --split all",
                         what);
    *at = (size_t)(hit - text) + 2; /* the held-out part starts at "Once" */
    return VSQ_OK;
}

/* Tokenize text[0..n) (BOS first) into a new array. */
static vsq_status tokenize(const llm_tokenizer *t, const char *text, size_t n, const char *what,
                           int **tokens, size_t *n_tokens) {
    if (n > (size_t)(1u << 30))
        return vsq_error(VSQ_EINVAL, "%s: text of %zu bytes is too large (1 GiB at most)", what,
                         n);
    int *tok = malloc((n + 3) * sizeof(int)), count = 0;
    vsq_status st = tok ? llm_encode(t, text, 1, 0, tok, &count)
                        : vsq_error(VSQ_ENOMEM, "%s: out of memory for tokens", what);
    if (st) {
        free(tok);
        return st;
    }
    *tokens = tok;
    *n_tokens = (size_t)count;
    return VSQ_OK;
}

static int is_space(char c) {
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* llama2.c's pretokenization (tinystories.py process_shard): every story
 * stripped of surrounding whitespace and encoded on its own, BOS first,
 * the stories concatenated. A story starts at the start of the text and at
 * every STORY_START (the rule of llm_split_point: this text has lost the
 * data set's story boundaries, and stories that begin otherwise stay glued
 * to the one before). */
static vsq_status tokenize_stories(const llm_tokenizer *t, char *text, size_t n, const char *what,
                                   int **tokens, size_t *n_tokens) {
    if (n > (size_t)(1u << 30))
        return vsq_error(VSQ_EINVAL, "%s: text of %zu bytes is too large (1 GiB at most)", what,
                         n);
    /* A story gives at most one token per byte plus BOS and the dummy-prefix
     * space; every story but the first drops at least the two bytes of its
     * blank line, so n + 2 tokens in all, and llm_encode wants 3 spare. */
    int *tok = malloc((n + 8) * sizeof(int));
    if (!tok) return vsq_error(VSQ_ENOMEM, "%s: out of memory for tokens", what);
    size_t count = 0;
    char *p = text, *end = text + n;
    while (p < end) {
        char *next = strstr(p + 1, STORY_START);
        char *stop = next ? next : end;
        char *a = p, *b = stop;
        while (a < b && is_space(*a)) a++;
        while (b > a && is_space(b[-1])) b--;
        if (b > a) {
            char keep = *b; /* terminate the story for llm_encode, then restore */
            *b = '\0';
            int k = 0;
            vsq_status st = llm_encode(t, a, 1, 0, tok + count, &k);
            *b = keep;
            if (st) {
                free(tok);
                return st;
            }
            count += (size_t)k;
        }
        p = stop;
    }
    *tokens = tok;
    *n_tokens = count;
    return VSQ_OK;
}

vsq_status llm_tokenize_file_bos(const llm_tokenizer *t, const char *path, llm_split part,
                                 llm_bos_mode bos, int **tokens, size_t *n_tokens,
                                 size_t *boundary) {
    if (bos != LLM_BOS_TEXT && bos != LLM_BOS_STORY)
        return vsq_error(VSQ_EINVAL, "%s: unknown BOS mode %d", path, (int)bos);
    char *text = NULL;
    size_t n = 0, at = 0;
    vsq_status st = read_text(path, &text, &n);
    if (st) return st;
    if (part != LLM_SPLIT_ALL) st = llm_split_point(text, n, path, &at);
    char *from = text + at;
    size_t len = n - at;
    if (!st && part == LLM_SPLIT_SELECT) {
        text[at - 2] = '\0'; /* drop the blank line before the boundary */
        from = text;
        len = at - 2;
    }
    if (!st)
        st = bos == LLM_BOS_STORY ? tokenize_stories(t, from, len, path, tokens, n_tokens)
                                  : tokenize(t, from, len, path, tokens, n_tokens);
    free(text);
    if (!st && boundary) *boundary = at;
    return st;
}

vsq_status llm_tokenize_file_part(const llm_tokenizer *t, const char *path, llm_split part,
                                  int **tokens, size_t *n_tokens, size_t *boundary) {
    return llm_tokenize_file_bos(t, path, part, LLM_BOS_TEXT, tokens, n_tokens, boundary);
}

vsq_status llm_tokenize_file(const llm_tokenizer *t, const char *path, int **tokens,
                             size_t *n_tokens) {
    return llm_tokenize_file_part(t, path, LLM_SPLIT_ALL, tokens, n_tokens, NULL);
}
