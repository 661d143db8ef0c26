/* vsq tokenize: BERT WordPiece ids of each input line, one line of
 * space-separated ids per input line (the format of the shared reference
 * data/sentence-polarity/reference/token_ids.txt). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "models/bert/wordpiece.h"

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

static int run(int argc, char **argv) {
    tok_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc;
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
    "tokenize", run, "BERT WordPiece token ids of each input line",
    "usage: vsq tokenize [--model DIR] [--max-len N] [--text FILE|-]\n\n"
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
    "Invalid UTF-8 in a line is an error naming the line and byte offset (exit 2).\n"};
