/* Shared parts of vsq embed and vsq eval-probe (see bert_cli.h). */
#include "bert_cli.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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

int bert_run_tokenize(const bert_run_opts *o, const bert_model *m, char **lines, int n,
                      bert_ids *out) {
    if (o->ids) {
        vsq_status st = bert_ids_load(o->ids, BERT_MAX_LEN, m->cfg.vocab, out);
        if (st) return cli_status(st);
        if (out->n != n) {
            int got = out->n;
            bert_ids_free(out);
            return cli_fail(CLI_BADINPUT, "%s has %d lines of ids for %d sentences", o->ids, got, n);
        }
        return CLI_OK;
    }
    (void)lines;
    return cli_fail(CLI_BADINPUT,
                    "the WordPiece tokenizer is not built into this version: pass --ids FILE "
                    "(pre-tokenized sentences, one line of ids each)");
}

int bert_run_open(bert_run_opts *o, bert_model *m, bert_dataset *d, bert_ids *all) {
    vsq_status st = bert_load(o->model, m);
    if (st) return cli_status(st);
    if ((st = bert_dataset_load(o->data, d))) {
        bert_free(m);
        return cli_status(st);
    }
    /* without a tokenizer, the data set's reference ids */
    static char ref[4096];
    if (!o->ids) {
        snprintf(ref, sizeof ref, "%s/reference/token_ids.txt", o->data);
        o->ids = ref;
    }
    int rc = bert_run_tokenize(o, m, d->text, d->n, all);
    if (rc) {
        bert_dataset_free(d);
        bert_free(m);
    }
    return rc;
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
