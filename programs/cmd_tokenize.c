/* vsq tokenize: BERT WordPiece ids of each input line, one line of
 * space-separated ids per input line (the format of the shared reference
 * data/sentence-polarity/reference/token_ids.txt); or, for a GGUF model,
 * the byte-level BPE ids of the whole text on one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vsq/wordpiece.h"
#include "vsq/bpe.h"
#include "vsq/llm.h"

typedef struct {
    const char *model, *text;
    long max_len;
} tok_args;

static int parse_args(int argc, char **argv, tok_args *a) {
    static char model[4096];
    snprintf(model, sizeof model, "%s/models/all-minilm-l6-v2", cli_shared_dir());
    *a = (tok_args){model, "-", 128};
    const char *v;
    for (int i = 1; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--model", &a->model) ||
            cli_opt(argc, argv, &i, "--text", &a->text))
            continue;
        if (cli_opt(argc, argv, &i, "--max-len", &v)) {
            if (cli_parse_long(v, 2, 1 << 20, &a->max_len))
                return cli_fail(CLI_BADINPUT, "bad --max-len '%s' (2 .. 1048576)", v);
        } else {
            return cli_fail(CLI_BADINPUT, "unknown argument '%s' (see vsq tokenize --help)",
                            argv[i]);
        }
    }
    return CLI_OK;
}

/* Drop NUL bytes (the tokenizer's cleaning drops U+0000 anyway; the C
 * string API would stop at the first) and the line end. */
static void strip_line(char *s, size_t *n) {
    size_t k = 0;
    for (size_t i = 0; i < *n; i++)
        if (s[i] != '\0') s[k++] = s[i];
    if (k > 0 && s[k - 1] == '\n') k--;
    s[k] = '\0';
    *n = k;
}

static int print_ids(const int32_t *ids, int n) {
    for (int i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
    return putchar('\n') == EOF;
}

static int tokenize_lines(const bert_tokenizer *t, FILE *in, const char *name, int max_len) {
    int32_t *ids = malloc((size_t)max_len * sizeof *ids);
    if (!ids) return cli_fail(CLI_FAIL, "out of memory");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = CLI_OK;
    ssize_t got;
    while (rc == CLI_OK && (got = getline(&line, &cap, in)) >= 0) {
        size_t n = (size_t)got;
        int n_ids;
        lineno++;
        strip_line(line, &n);
        vsq_status st = bert_encode(t, line, max_len, ids, &n_ids);
        if (st)
            rc = cli_fail(CLI_BADINPUT, "%s: line %zu: %s", name, lineno, vsq_last_error());
        else if (print_ids(ids, n_ids))
            rc = cli_fail(CLI_FAIL, "cannot write to stdout");
    }
    if (rc == CLI_OK && ferror(in)) rc = cli_fail(CLI_BADINPUT, "%s: read error", name);
    if (rc == CLI_OK && fflush(stdout)) rc = cli_fail(CLI_FAIL, "cannot write to stdout");
    free(line);
    free(ids);
    return rc;
}

/* Whole input (the file, or stdin) into memory. */
static int read_all(FILE *in, const char *name, char **buf, size_t *len) {
    size_t cap = 1 << 16, n = 0, got;
    char *b = malloc(cap);
    while (b && (got = fread(b + n, 1, cap - n, in)) > 0)
        if ((n += got) == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) free(b);
            b = nb;
        }
    if (!b) return cli_fail(CLI_FAIL, "out of memory reading %s", name);
    if (ferror(in)) {
        free(b);
        return cli_fail(CLI_BADINPUT, "%s: read error", name);
    }
    *buf = b;
    *len = n;
    return CLI_OK;
}

/* GGUF: the file's byte-level BPE over the whole text, no BOS (as
 * llama.cpp's tokenize with add_special = false). */
static int tokenize_gguf(const char *model, FILE *in, const char *name) {
    vsq_gguf g;
    bpe_tokenizer *t = NULL;
    vsq_status st = vsq_gguf_open(model, &g);
    if (!st) st = bpe_tokenizer_from_gguf(&g, &t);
    vsq_gguf_close(&g);
    if (st) return cli_status(st);
    char *text = NULL;
    size_t len = 0, n = 0;
    int32_t *ids = NULL;
    int rc = read_all(in, name, &text, &len);
    if (!rc && (st = bpe_encode(t, text, len, &ids, &n)))
        rc = cli_fail(CLI_BADINPUT, "%s: %s", name, vsq_last_error());
    if (!rc && n > 0x7fffffff) rc = cli_fail(CLI_BADINPUT, "%s: too many tokens", name);
    if (!rc && print_ids(ids, (int)n)) rc = cli_fail(CLI_FAIL, "cannot write to stdout");
    free(ids);
    free(text);
    bpe_tokenizer_free(t);
    return rc;
}

static int run(int argc, char **argv) {
    tok_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc;
    if (llm_is_gguf(a.model)) {
        int use_in = !strcmp(a.text, "-");
        FILE *f = use_in ? stdin : fopen(a.text, "rb");
        if (!f) return cli_fail(CLI_BADINPUT, "cannot open '%s'", a.text);
        rc = tokenize_gguf(a.model, f, use_in ? "stdin" : a.text);
        if (!use_in) fclose(f);
        return rc;
    }
    bert_tokenizer *t;
    vsq_status st = bert_tokenizer_load_dir(a.model, &t);
    if (st) return cli_status(st);
    int use_stdin = !strcmp(a.text, "-");
    FILE *in = use_stdin ? stdin : fopen(a.text, "rb");
    if (!in) {
        bert_tokenizer_free(t);
        return cli_fail(CLI_BADINPUT, "cannot open '%s'", a.text);
    }
    rc = tokenize_lines(t, in, use_stdin ? "stdin" : a.text, (int)a.max_len);
    if (!use_stdin) fclose(in);
    bert_tokenizer_free(t);
    return rc;
}

const cli_command cmd_tokenize = {
    "tokenize", run, "token ids: BERT WordPiece per line, or a GGUF model's BPE",
    "usage: vsq tokenize [--model DIR|FILE.gguf] [--max-len N] [--text FILE|-]\n\n"
    "Prints, for each line of FILE (default: standard input), the token ids of\n"
    "the BERT WordPiece tokenizer in DIR (vocab.txt, and do_lower_case /\n"
    "strip_accents from tokenizer_config.json when present), space-separated:\n"
    "[CLS] pieces [SEP], truncated to N ids (default 128; [SEP] stays last).\n"
    "Default DIR: the all-MiniLM-L6-v2 model in the shared folder. The output\n"
    "has the format of data/sentence-polarity/reference/token_ids.txt, e.g.\n"
    "  cut -f2- sentences.tsv | vsq tokenize | diff - reference/token_ids.txt\n"
    "Same rules as Hugging Face tokenizers' BERT pipeline (docs/bert.md): drop\n"
    "NUL and control characters, put spaces around CJK ideographs, lower-case\n"
    "and strip accents (uncased models), split on whitespace and punctuation,\n"
    "greedy longest-match pieces (\"##\" marks a continuation), [UNK] for words\n"
    "over 100 characters or without a match; [PAD] [UNK] [CLS] [SEP] [MASK] in\n"
    "the text stay single tokens.\n"
    "Invalid UTF-8 in a line is an error naming the line and byte offset (exit 2).\n"
    "\n"
    "With a GGUF file (llama architecture, tokenizer.ggml.model gpt2) the whole\n"
    "text is encoded at once by the file's byte-level BPE (docs/gguf.md), no BOS,\n"
    "special tokens taken literally, and the ids printed on one line: the same\n"
    "ids as llama.cpp's tokenize(text, add_special=false, parse_special=false).\n"};
