/* Shared parts of vsq embed and vsq eval-probe (see bert_cli.h). */
#include "bert_cli.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The WordPiece tokenizer (src/models/bert/wordpiece.c) is written on its
 * own branch; until it is merged, sentences come from token-id files. */
#if defined(__has_include)
#if __has_include("vsq/wordpiece.h")
#include "vsq/wordpiece.h"
#define BERT_HAVE_WORDPIECE 1
#endif
#endif

void bert_run_defaults(bert_run_opts *o) {
    static char model[4096], data[4096];
    snprintf(model, sizeof model, "%s/models/all-minilm-l6-v2", cli_shared_dir());
    snprintf(data, sizeof data, "%s/data/sentence-polarity", cli_shared_dir());
    o->model = model;
    o->data = data;
    o->ids = NULL;
}

/* The Hugging Face sequence limit of this model (sentence-transformers
 * max_seq_length). */
enum { BERT_MAX_LEN = 128 };

#ifdef BERT_HAVE_WORDPIECE
/* Every line through the WordPiece tokenizer of the model folder. */
static int tokenize_lines(const char *model_dir, char **lines, int n, bert_ids *out) {
    bert_tokenizer *tok;
    vsq_status st = bert_tokenizer_load_dir(model_dir, &tok);
    if (st) return cli_status(st);
    int32_t buf[BERT_MAX_LEN];
    st = bert_ids_alloc(n, out);
    for (int i = 0; !st && i < n; i++) {
        int k = 0;
        if ((st = bert_encode(tok, lines[i], BERT_MAX_LEN, buf, &k))) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", vsq_last_error());
            st = vsq_error(st, "sentence %d: %s", i + 1, msg);
            break;
        }
        out->ids[i] = malloc((size_t)k * sizeof(int32_t));
        if (!out->ids[i]) st = vsq_error(VSQ_ENOMEM, "out of memory tokenizing");
        else memcpy(out->ids[i], buf, (size_t)k * sizeof(int32_t));
        out->len[i] = k;
    }
    bert_tokenizer_free(tok);
    if (st) bert_ids_free(out);
    return st ? cli_status(st) : CLI_OK;
}
#else
static int tokenize_lines(const char *model_dir, char **lines, int n, bert_ids *out) {
    (void)model_dir, (void)lines, (void)n, (void)out;
    return cli_fail(CLI_BADINPUT,
                    "the WordPiece tokenizer is not built into this version: pass --ids FILE "
                    "(pre-tokenized sentences, one line of ids each)");
}
#endif

int bert_run_tokenize(const bert_run_opts *o, const bert_model *m, char **lines, int n,
                      bert_ids *out) {
    if (!o->ids) return tokenize_lines(o->model, lines, n, out);
    vsq_status st = bert_ids_load(o->ids, BERT_MAX_LEN, m->cfg.vocab, out);
    if (st) return cli_status(st);
    if (out->n != n) {
        int got = out->n;
        bert_ids_free(out);
        return cli_fail(CLI_BADINPUT, "%s has %d lines of ids for %d sentences", o->ids, got, n);
    }
    return CLI_OK;
}

int bert_run_open(const bert_run_opts *o, bert_model *m, bert_dataset *d, bert_ids *all) {
    vsq_status st = bert_load(o->model, m);
    if (st) return cli_status(st);
    if ((st = bert_dataset_load(o->data, d))) {
        bert_free(m);
        return cli_status(st);
    }
#ifndef BERT_HAVE_WORDPIECE
    /* no tokenizer: the data set's reference ids (Hugging Face's output) */
    static char ref[4096];
    bert_run_opts oo = *o;
    if (!oo.ids) {
        snprintf(ref, sizeof ref, "%s/reference/token_ids.txt", o->data);
        oo.ids = ref;
    }
    o = &oo;
#endif
    int rc = bert_run_tokenize(o, m, d->text, d->n, all);
    if (rc) {
        bert_dataset_free(d);
        bert_free(m);
    }
    return rc;
}

const char *bert_run_tokens(const bert_run_opts *o, char *buf, size_t n) {
    if (o->ids) snprintf(buf, n, "%s", o->ids);
#ifdef BERT_HAVE_WORDPIECE
    else snprintf(buf, n, "WordPiece tokenizer (%s/vocab.txt)", o->model);
#else
    else snprintf(buf, n, "%s/reference/token_ids.txt", o->data);
#endif
    return buf;
}

const char *bert_run_commit(char *buf, size_t n) {
    snprintf(buf, n, "unknown");
    FILE *p = popen("git describe --always --dirty 2>/dev/null", "r");
    if (!p) return buf;
    if (fgets(buf, (int)n, p)) buf[strcspn(buf, "\r\n")] = 0;
    if (pclose(p) != 0 || !buf[0]) snprintf(buf, n, "unknown");
    return buf;
}

const char *bert_run_cpu(char *buf, size_t n) {
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10)) continue;
        char *c = strchr(line, ':');
        if (c) {
            c += 1 + (c[1] == ' ');
            c[strcspn(c, "\r\n")] = 0;
            snprintf(buf, n, "%s", c);
        }
        break;
    }
    if (f) fclose(f);
    return buf;
}

/* One timed run of the test split in the given configuration. Ratios are
 * of sentences per CPU-second (process CPU time, all threads), which a
 * busy shared machine distorts far less than wall-clock rates. */
static int bench_row(bert_model *m, const bert_task *t, const char *label, const char *w,
                     const char *a, int packed, double base) {
    bert_quant_opts q = {w, a, NULL, packed, 0, NULL, 0, NULL};
    vsq_status st = bert_quantize(m, &q);
    bert_result r;
    if (!st) st = bert_task_eval(m, t, &r, NULL, NULL);
    bert_unquantize(m);
    if (st) return cli_status(st);
    double per_cpu = r.n / r.cpu_seconds;
    printf("%-28s %8.1f %12.1f %8.2fx %9.2f%% %10.6f %8.2f%%\n", label, r.sent_per_s, per_cpu,
           base > 0 ? per_cpu / base : 1.0, r.accuracy, r.cosine, r.agreement);
    fflush(stdout);
    return CLI_OK;
}

int bert_run_bench(bert_model *m, const bert_task *t) {
    char cpu[160];
    printf("bench: %d test sentences, %d OpenMP threads, ISA %s, CPU %s\n", t->test.n,
           omp_get_max_threads(), vsq_isa_name(vsq_isa_active()), bert_run_cpu(cpu, sizeof cpu));
    printf("%-28s %8s %12s %9s %10s %10s %9s\n", "encoder", "sent/s", "sent/CPU-s", "vs fp32",
           "accuracy", "cosine", "agree");
    bert_quantize(m, &(bert_quant_opts){0});
    bert_result r0;
    vsq_status st = bert_task_eval(m, t, &r0, NULL, NULL);
    if (st) return cli_status(st);
    double base = r0.n / r0.cpu_seconds;
    printf("%-28s %8.1f %12.1f %8.2fx %9.2f%% %10.6f %8.2f%%\n", "fp32", r0.sent_per_s, base, 1.0,
           r0.accuracy, r0.cosine, r0.agreement);
    static const struct {
        const char *label, *w, *a;
        int packed;
    } rows[] = {
        {"W8A8 8/8/6/10 fake-quant", "int8:v16:s6", "int8:v16:s10", 0},
        {"W8A8 8/8/6/10 packed", "int8:v16:s6", "int8:v16:s10", 1},
        {"W4A8 4/8/6/10 fake-quant", "int4:v16:s6", "int8:v16:s10", 0},
        {"W4A8 4/8/6/10 packed", "int4:v16:s6", "int8:v16:s10", 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int rc = bench_row(m, t, rows[i].label, rows[i].w, rows[i].a, rows[i].packed, base);
        if (rc) return rc;
    }
    return CLI_OK;
}
