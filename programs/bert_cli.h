/* programs/bert_cli.h - what vsq embed and vsq eval-probe share: opening
 * the encoder, the data set and its tokens; the commit and CPU for the
 * JSON; the speed comparison of --bench. */
#ifndef VSQ_BERT_CLI_H
#define VSQ_BERT_CLI_H

#include <stddef.h>
#include "vsq/bert.h"

typedef struct {
    const char *model; /* model folder (config.json, model.safetensors, vocab.txt) */
    const char *data;  /* sentence-polarity folder */
    const char *ids;   /* pre-tokenized ids file, or NULL: the tokenizer */
} bert_run_opts;

/* Shared-folder defaults for model and data. */
void bert_run_defaults(bert_run_opts *o);
/* Load the model, the data set and the token ids of every sentence;
 * returns a CLI exit code (message printed). The sentences go through the
 * model's WordPiece tokenizer unless o->ids names pre-tokenized ids (in a
 * build without the tokenizer: the data set's reference/token_ids.txt). */
int bert_run_open(const bert_run_opts *o, bert_model *m, bert_dataset *d, bert_ids *all);
/* Tokenize lines of text (DIR/vocab.txt), or read o->ids; CLI exit code. */
int bert_run_tokenize(const bert_run_opts *o, const bert_model *m, char **lines, int n,
                      bert_ids *out);
/* Where the token ids of bert_run_open come from (for the JSON). */
const char *bert_run_tokens(const bert_run_opts *o, char *buf, size_t n);
/* `git describe` of the working directory ("unknown" outside a checkout). */
const char *bert_run_commit(char *buf, size_t n);
/* The CPU model name from /proc/cpuinfo. */
const char *bert_run_cpu(char *buf, size_t n);
/* --bench: fp32 vs fake-quant vs packed W8A8 / W4A8, side by side. */
int bert_run_bench(bert_model *m, const bert_task *t);

#endif
