/* vsq eval-probe: a BERT sentence encoder (Hugging Face safetensors) on
 * the sentence-polarity task through a linear probe trained on the fp32
 * train-split embeddings; fp32 or VS-Quant PTQ of every Linear layer.
 * --sweep regenerates the paper's BERT tables, --bench compares speed. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "bert_cli.h"
#include "vsq/bert.h"

typedef struct {
    bert_run_opts run;
    const char *w, *a, *cfg, *attn_a, *json, *csv, *sweep, *out;
    int gptq, packed, bench;
    long limit, train_limit, calib;
    char wbuf[96], abuf[96];
} probe_args;

static int parse_args(int argc, char **argv, probe_args *e) {
    memset(e, 0, sizeof *e);
    bert_run_defaults(&e->run);
    e->out = "docs/results";
    e->calib = 256;
    const char *v;
    for (int i = 1; i < argc; i++) {
        long n;
        if (cli_opt(argc, argv, &i, "--model", &e->run.model) ||
            cli_opt(argc, argv, &i, "--data", &e->run.data) ||
            cli_opt(argc, argv, &i, "--ids", &e->run.ids) || cli_opt(argc, argv, &i, "--w", &e->w) ||
            cli_opt(argc, argv, &i, "--a", &e->a) || cli_opt(argc, argv, &i, "--cfg", &e->cfg) ||
            cli_opt(argc, argv, &i, "--attn-a", &e->attn_a) ||
            cli_opt(argc, argv, &i, "--json", &e->json) || cli_opt(argc, argv, &i, "--csv", &e->csv) ||
            cli_opt(argc, argv, &i, "--sweep", &e->sweep) || cli_opt(argc, argv, &i, "--out", &e->out))
            continue;
        if (!strcmp(argv[i], "--bench")) {
            e->bench = 1;
        } else if (cli_opt(argc, argv, &i, "--kernel", &v)) {
            if (strcmp(v, "packed") && strcmp(v, "fake"))
                return cli_fail(CLI_BADINPUT, "bad --kernel '%s' (fake or packed)", v);
            e->packed = !strcmp(v, "packed");
        } else if (cli_opt(argc, argv, &i, "--gptq", &v)) {
            if (cli_parse_long(v, 0, 1 << 20, &n))
                return cli_fail(CLI_BADINPUT, "bad --gptq '%s' (train sentences, 0 = off)", v);
            e->gptq = (int)n;
        } else if (cli_opt(argc, argv, &i, "--limit", &v)) {
            if (cli_parse_long(v, 1, 1 << 24, &e->limit))
                return cli_fail(CLI_BADINPUT, "bad --limit '%s' (test sentences, >= 1)", v);
        } else if (cli_opt(argc, argv, &i, "--train-limit", &v)) {
            if (cli_parse_long(v, 10, 1 << 24, &e->train_limit))
                return cli_fail(CLI_BADINPUT, "bad --train-limit '%s' (train sentences, >= 10)", v);
        } else if (cli_opt(argc, argv, &i, "--calib", &v)) {
            if (cli_parse_long(v, 1, 1 << 24, &e->calib))
                return cli_fail(CLI_BADINPUT, "bad --calib '%s' (train sentences, >= 1)", v);
        } else {
            return cli_fail(CLI_BADINPUT, "unknown argument '%s' (see vsq eval-probe --help)", argv[i]);
        }
    }
    static const char *const SWEEPS[] = {"table2", "table3", "table67", "all", "key"};
    int known = !e->sweep;
    for (int i = 0; i < 5 && !known; i++) known = !strcmp(e->sweep, SWEEPS[i]);
    if (!known) return cli_fail(CLI_BADINPUT, "unknown --sweep '%s' (table2|table3|table67|all|key)", e->sweep);
    if (e->cfg && (e->w || e->a)) return cli_fail(CLI_BADINPUT, "--cfg replaces --w and --a: give one or the other");
    if (e->cfg) {
        vsq_layer_cfg lc;
        vsq_status st = vsq_layer_cfg_parse(e->cfg, 16, &lc);
        if (st) return cli_status(st);
        vsq_format_str(&lc.w, e->wbuf, sizeof e->wbuf);
        vsq_format_str(&lc.a, e->abuf, sizeof e->abuf);
        e->w = e->wbuf, e->a = e->abuf;
    }
    return CLI_OK;
}

static void progress(size_t done, size_t total) { cli_progress("eval-probe", done, total); }

static cJSON *options_json(const probe_args *e, const bert_task *t) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model", e->run.model);
    cJSON_AddStringToObject(o, "data", e->run.data);
    char tok[4200];
    cJSON_AddStringToObject(o, "tokens", bert_run_tokens(&e->run, tok, sizeof tok));
    cJSON_AddStringToObject(o, "split", "test");
    cJSON_AddNumberToObject(o, "limit", (double)e->limit);
    cJSON_AddNumberToObject(o, "train_n", t->train.n);
    cJSON_AddNumberToObject(o, "calib", (double)e->calib);
    cJSON_AddStringToObject(o, "w", e->w ? e->w : "fp32");
    cJSON_AddStringToObject(o, "a", e->a ? e->a : "fp32");
    if (e->cfg) cJSON_AddStringToObject(o, "cfg", e->cfg);
    cJSON_AddStringToObject(o, "attn_a", e->attn_a ? e->attn_a : "fp32");
    cJSON_AddNumberToObject(o, "gptq", e->gptq);
    cJSON_AddStringToObject(o, "kernel", e->packed ? "packed" : "fake");
    cJSON_AddNumberToObject(o, "lambda", t->lambda);
    cJSON_AddNumberToObject(o, "cv_accuracy", t->cv_acc);
    cJSON_AddNumberToObject(o, "train_accuracy", t->train_acc);
    char buf[256];
    cJSON_AddStringToObject(o, "commit", bert_run_commit(buf, sizeof buf));
    cJSON_AddStringToObject(o, "cpu", bert_run_cpu(buf, sizeof buf));
    return o;
}

static int write_outputs(const probe_args *e, const bert_task *t, const bert_result *r,
                         double bpw) {
    double lo, hi;
    bert_wilson95(t->correct32, t->test.n, &lo, &hi);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "accuracy", r->accuracy);
    cJSON_AddNumberToObject(o, "cosine", r->cosine);
    cJSON_AddNumberToObject(o, "n", r->n);
    cJSON_AddNumberToObject(o, "bpw", bpw);
    cJSON_AddNumberToObject(o, "ci_lo", r->ci_lo);
    cJSON_AddNumberToObject(o, "ci_hi", r->ci_hi);
    cJSON_AddStringToObject(o, "ci", "Wilson score 95 %");
    cJSON_AddNumberToObject(o, "agreement", r->agreement);
    cJSON_AddNumberToObject(o, "fp32_accuracy", 100.0 * t->correct32 / t->test.n);
    cJSON_AddNumberToObject(o, "fp32_ci_lo", lo);
    cJSON_AddNumberToObject(o, "fp32_ci_hi", hi);
    cJSON_AddNumberToObject(o, "seconds", r->seconds);
    cJSON_AddNumberToObject(o, "sentences_per_s", r->sent_per_s);
    cJSON_AddItemToObject(o, "options", options_json(e, t));
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    int rc = s ? cli_write_text(e->json, s) : cli_fail(CLI_FAIL, "out of memory writing JSON");
    free(s);
    if (rc || !e->csv) return rc;
    char csv[2048];
    snprintf(csv, sizeof csv,
             "w,a,attn_a,gptq,kernel,n,accuracy,ci_lo,ci_hi,cosine,agreement,bpw,fp32_accuracy\n"
             "%s,%s,%s,%d,%s,%d,%.4f,%.4f,%.4f,%.6f,%.4f,%.4f,%.4f\n",
             e->w ? e->w : "fp32", e->a ? e->a : "fp32", e->attn_a ? e->attn_a : "fp32", e->gptq,
             e->packed ? "packed" : "fake", r->n, r->accuracy, r->ci_lo, r->ci_hi, r->cosine,
             r->agreement, bpw, 100.0 * t->correct32 / t->test.n);
    return cli_write_text(e->csv, csv);
}

static void print_table(const probe_args *e, const bert_task *t, const bert_result *r, double bpw) {
    double lo, hi;
    bert_wilson95(t->correct32, t->test.n, &lo, &hi);
    printf("probe: lambda %g (5-fold CV on %d train sentences: %.2f %%), train accuracy %.2f %%\n",
           t->lambda, t->train.n, t->cv_acc, t->train_acc);
    printf("%-34s %9s %17s %9s %9s %6s\n", "encoder", "accuracy", "95% CI (Wilson)", "cosine", "agree", "bpw");
    printf("%-34s %8.2f%% %8.2f-%6.2f %9s %9s %6.1f\n", "fp32", 100.0 * t->correct32 / t->test.n,
           lo, hi, "1", "100", 32.0);
    if (!e->w && !e->a && !e->attn_a) return;
    char label[160];
    snprintf(label, sizeof label, "w=%s a=%s%s%s%s", e->w ? e->w : "fp32", e->a ? e->a : "fp32",
             e->attn_a ? " attn=" : "", e->attn_a ? e->attn_a : "", e->packed ? " (packed)" : "");
    printf("%-34s %8.2f%% %8.2f-%6.2f %9.6f %8.2f%% %6.2f\n", label, r->accuracy, r->ci_lo, r->ci_hi,
           r->cosine, r->agreement, bpw);
    printf("(%d test sentences)\n", r->n);
}

static int eval_one(bert_model *m, const probe_args *e, const bert_task *t) {
    bert_quant_opts q = {e->w, e->a, e->attn_a, e->packed, e->gptq, &t->train, (int)e->calib, NULL};
    vsq_status st = bert_quantize(m, &q);
    if (st) return cli_status(st);
    bert_result r;
    if ((st = bert_task_eval(m, t, &r, NULL, progress))) return cli_status(st);
    double bpw = bert_bpw(m, e->w);
    print_table(e, t, &r, bpw);
    return e->json ? write_outputs(e, t, &r, bpw) : CLI_OK;
}

static int run(int argc, char **argv) {
    probe_args e;
    int rc = parse_args(argc, argv, &e);
    if (rc) return rc;
    bert_model m;
    bert_dataset d;
    bert_ids all;
    bert_task t;
    if ((rc = bert_run_open(&e.run, &m, &d, &all))) return rc;
    vsq_status st = bert_task_setup(&m, &d, &all, (int)e.train_limit, (int)e.limit, &t, progress);
    if (st) rc = cli_status(st);
    if (!rc && e.sweep) {
        char header[8192], commit[128], cpu[160], cmd[1024] = "vsq", tok[4200];
        for (int i = 0; i < argc; i++) {
            size_t l = strlen(cmd);
            snprintf(cmd + l, sizeof cmd - l, " %s", argv[i]);
        }
        snprintf(header, sizeof header,
                 "Command: `%s`. Model all-MiniLM-L6-v2, data sentence-polarity (test split: %d "
                 "sentences%s; the probe is trained on %d train sentences, lambda %g by 5-fold CV; "
                 "static activations calibrated on the first %ld train sentences; token ids: %s). "
                 "Commit %s, CPU %s (machine shared with other jobs).",
                 cmd, t.test.n, e.limit ? ", evenly spaced over the 2,000" : "", t.train.n,
                 t.lambda, e.calib, bert_run_tokens(&e.run, tok, sizeof tok),
                 bert_run_commit(commit, sizeof commit), bert_run_cpu(cpu, sizeof cpu));
        rc = cli_status(bert_sweep(&m, &t, e.sweep, e.out, header, (int)e.calib));
    } else if (!rc && e.bench) {
        rc = bert_run_bench(&m, &t);
    } else if (!rc) {
        rc = eval_one(&m, &e, &t);
    }
    if (!st) bert_task_free(&t);
    bert_ids_free(&all);
    bert_dataset_free(&d);
    bert_free(&m);
    return rc;
}

const cli_command cmd_eval_probe = {
    "eval-probe", run, "BERT encoder + linear probe on sentence polarity, fp32 or VS-Quant PTQ",
    "usage: vsq eval-probe [--model DIR] [--data DIR] [--ids FILE] [--json F] [--csv F]\n"
    "                      [--w SPEC] [--a SPEC] [--cfg W/A/ws/as] [--attn-a SPEC]\n"
    "                      [--gptq N] [--kernel fake|packed] [--calib N]\n"
    "                      [--limit N] [--train-limit N] [--sweep NAME [--out DIR]] [--bench]\n"
    "Embeds the train split of DIR/sentences.tsv (split.txt) with the fp32 encoder\n"
    "(mean pooling + L2 norm), trains an L2-regularised logistic-regression probe on\n"
    "it (Newton; lambda by 5-fold cross-validation on the train split), then embeds\n"
    "the test split with the (quantized) encoder and reports the probe's accuracy with\n"
    "its Wilson 95 % interval, the mean cosine to the fp32 test embeddings and the\n"
    "agreement of the predictions with fp32's. The probe is always the fp32 one.\n"
    "--w: static weight format of every Linear layer (Q K V O, FFN in/out; vectors\n"
    "along the input dimension, one channel per output row). --a: activation format\n"
    "of every Linear input: vV = dynamic per vector (two-level: one coarse scale per\n"
    "token), pt = static per-tensor, calibrated on the first --calib (256) train\n"
    "sentences with the spec's calibrator; uintN is taken as intN. --cfg: the paper's\n"
    "W/A/ws/as instead of --w/--a (V=16). --attn-a: also quantize both operands of\n"
    "Q.K^T and P.V (dynamic per-vector spec). --gptq N: GPTQ weight rounding, Hessians\n"
    "from N train sentences. --kernel packed: Linear layers on the packed integer\n"
    "kernels (per-vector V in {16,32,64} on both sides, e.g. --cfg 4/8/6/10).\n"
    "--ids FILE: pre-tokenized sentences (one line of ids each, aligned with\n"
    "sentences.tsv) instead of the tokenizer. --limit N: N test sentences, evenly\n"
    "spaced over the split (the file lists the positives first); --train-limit N:\n"
    "likewise for the probe's train sentences.\n"
    "JSON: {accuracy, cosine, n, bpw, ci_lo, ci_hi, agreement, fp32_accuracy, ...,\n"
    "options: {all options, split, commit, cpu}}.\n"
    "--sweep table2|table3|table67|all: the paper's Tables 2, 3, 6-7 for this model,\n"
    "written to --out DIR (docs/results) as bert_NAME.md/.csv/.json; --sweep key:\n"
    "eight telling rows (two-level 3/4/8-bit weights vs per-channel), for long runs.\n"
    "--bench: sentences per second (wall) and per CPU-second of fp32, fake-quant and\n"
    "packed W8A8 (8/8/6/10) and W4A8 (4/8/6/10) on the test sentences, side by side\n"
    "(ratios from CPU time, which a shared machine distorts less).\n"
    "Defaults: all-MiniLM-L6-v2 and sentence-polarity in the shared folder.\n"};
