/* vsq train: train a small CNN on Fashion-MNIST in fp32 from scratch with
 * the src/train engine and save a safetensors checkpoint (docs/qat.md). */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "train_log.h"

typedef struct {
    const char *model, *data, *out, *csv, *json, *svg;
    tr_opts t;
} opts;

/* Options common to vsq train and vsq qat; returns 1 if consumed, -1 on a bad value. */
int train_common_opt(int argc, char **argv, int *i, tr_opts *t, const char **data) {
    const char *v;
    long x;
    double d;
    if (cli_opt(argc, argv, i, "--data", data)) return 1;
#define LONG_OPT(name, lo, hi, field)                                                        \
    if (cli_opt(argc, argv, i, name, &v)) {                                                  \
        if (cli_parse_long(v, lo, hi, &x)) return cli_fail(CLI_BADINPUT, "bad %s '%s'", name, v), -1; \
        t->field = (int)x;                                                                   \
        return 1;                                                                            \
    }
#define DBL_OPT(name, lo, hi, field)                                                          \
    if (cli_opt(argc, argv, i, name, &v)) {                                                   \
        if (cli_parse_double(v, &d) || !(d >= lo && d <= hi))                                 \
            return cli_fail(CLI_BADINPUT, "bad %s '%s' (%g..%g)", name, v, (double)lo, (double)hi), -1; \
        t->field = d;                                                                         \
        return 1;                                                                             \
    }
    LONG_OPT("--epochs", 0, 1000, epochs)
    LONG_OPT("--batch", 1, 4096, batch)
    LONG_OPT("--threads", 1, 1024, threads)
    LONG_OPT("--limit-train", 1, 100000000, limit_train)
    LONG_OPT("--limit-test", 1, 100000000, limit_test)
    DBL_OPT("--lr", 1e-9, 10, lr)
    DBL_OPT("--momentum", 0, 0.9999, momentum)
    DBL_OPT("--wd", 0, 1, weight_decay)
#undef LONG_OPT
#undef DBL_OPT
    if (cli_opt(argc, argv, i, "--seed", &v)) {
        if (cli_parse_long(v, 0, 2147483647L, &x)) return cli_fail(CLI_BADINPUT, "bad --seed '%s'", v), -1;
        t->seed = (uint64_t)x;
        return 1;
    }
    return 0;
}

void train_opts_json(cJSON *o, const tr_opts *t) {
    cJSON_AddNumberToObject(o, "epochs", t->epochs);
    cJSON_AddNumberToObject(o, "batch", t->batch);
    cJSON_AddNumberToObject(o, "lr", t->lr);
    cJSON_AddStringToObject(o, "schedule", "cosine per step, to 0 at the last step");
    cJSON_AddNumberToObject(o, "momentum", t->momentum);
    cJSON_AddNumberToObject(o, "weight_decay", t->weight_decay);
    cJSON_AddNumberToObject(o, "seed", (double)t->seed);
    cJSON_AddNumberToObject(o, "limit_train", t->limit_train);
    cJSON_AddNumberToObject(o, "limit_test", t->limit_test);
}

static int parse(int argc, char **argv, opts *o) {
    *o = (opts){.model = "cnn",
                .t = {.batch = 64, .epochs = 8, .lr = 0.05, .momentum = 0.9, .weight_decay = 5e-4, .seed = 1}};
    for (int i = 1; i < argc; i++) {
        int r = train_common_opt(argc, argv, &i, &o->t, &o->data);
        if (r < 0) return CLI_BADINPUT;
        if (r || cli_opt(argc, argv, &i, "--model", &o->model) || cli_opt(argc, argv, &i, "--out", &o->out) ||
            cli_opt(argc, argv, &i, "--csv", &o->csv) || cli_opt(argc, argv, &i, "--json", &o->json) ||
            cli_opt(argc, argv, &i, "--svg", &o->svg))
            continue;
        return cli_fail(CLI_BADINPUT, "unknown option '%s' (see vsq train --help)", argv[i]);
    }
    if (strcmp(o->model, "cnn") && strcmp(o->model, "mbnet"))
        return cli_fail(CLI_BADINPUT, "--model must be cnn or mbnet, not '%s'", o->model);
    if (o->t.epochs < 1) return cli_fail(CLI_BADINPUT, "--epochs must be at least 1");
    if (o->t.threads) omp_set_num_threads(o->t.threads);
    return 0;
}

static void print_row(const tl_row *r, int epochs) {
    printf("epoch %2d/%d  loss %.4f  train %.2f%%  test %.2f%%  %.0f img/s  %.1f s\n", r->epoch, epochs,
           r->log.loss, 100 * r->log.train_acc, 100 * r->test_acc, r->log.images_per_s, r->log.seconds);
    fflush(stdout);
}

/* Speed against the machine, both per CPU second (a shared machine's wall
 * clock says little): forward + backward ~ 3x the forward multiply-adds
 * (backward = input and weight gradients) vs the fp32 FMA peak loop. */
static void measure_speed(const tr_net *net, const tl_row *rows, int n, double speed[2]) {
    double img = 0, cpu = 0;
    for (int i = 0; i < n; i++) img += rows[i].log.images_per_s * rows[i].log.seconds, cpu += rows[i].log.cpu_seconds;
    speed[0] = cpu > 0 ? img * 3.0 * (double)tr_net_flops_per_image(net) / cpu / 1e9 : 0;
    speed[1] = tl_fma_gflops_per_cpu_s();
    fprintf(stderr, "speed: %.1f GFLOP/s per CPU-second (3x forward FLOPs); fp32 FMA peak %.1f per core-second: %.0f%%\n",
            speed[0], speed[1], speed[1] > 0 ? 100 * speed[0] / speed[1] : 0);
}

static int write_logs(const opts *o, const tr_net *net, const tl_row *rows, int n, const double speed[2]) {
    if (o->csv && tl_write_csv(o->csv, rows, n)) return CLI_FAIL;
    if (o->svg) {
        const char *label = o->model;
        const tl_row *r = rows;
        if (tl_write_svg(o->svg, "vsq train: fp32 test accuracy", &label, &r, &n, 1)) return CLI_FAIL;
    }
    if (!o->json) return 0;
    cJSON *root = cJSON_CreateObject(), *op = cJSON_AddObjectToObject(root, "options");
    cJSON_AddStringToObject(root, "command", "train");
    cJSON_AddStringToObject(op, "model", o->model);
    cJSON_AddStringToObject(op, "data", o->data ? o->data : tr_fmnist_default_dir());
    cJSON_AddStringToObject(op, "split", "train: Fashion-MNIST train (first limit_train of a seeded permutation when limited); test: t10k (first limit_test)");
    train_opts_json(op, &o->t);
    tl_add_env(root);
    cJSON_AddNumberToObject(root, "params", (double)net->n_params);
    cJSON_AddNumberToObject(root, "flops_per_image_forward", (double)tr_net_flops_per_image(net));
    cJSON_AddItemToObject(root, "epochs", tl_rows_json(rows, n));
    cJSON *sp = cJSON_AddObjectToObject(root, "speed");
    cJSON_AddNumberToObject(sp, "train_gflops_per_cpu_s", speed[0]);
    cJSON_AddNumberToObject(sp, "fma_peak_gflops_per_cpu_s", speed[1]);
    cJSON_AddNumberToObject(sp, "fraction_of_peak", speed[1] > 0 ? speed[0] / speed[1] : 0);
    cJSON_AddStringToObject(sp, "note", "train FLOPs = 3 x forward FLOPs per image x images / process CPU seconds; peak = AVX2 FMA loop, one core, per CPU second");
    int rc = tl_write_json(o->json, root);
    cJSON_Delete(root);
    return rc;
}

static int cmd_train_run(int argc, char **argv) {
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc;
    tr_dataset train, test;
    if ((rc = tl_load_data(o.data, &train, &test))) return rc;
    tr_net net;
    vsq_status st = tr_net_build_named(&net, o.model, o.t.batch, o.t.seed);
    if (st) { tr_dataset_free(&train), tr_dataset_free(&test); return cli_status(st); }
    fprintf(stderr, "vsq train: %s, %zu parameters, %.2f MFLOP/image forward, %d threads\n", o.model,
            net.n_params, tr_net_flops_per_image(&net) / 1e6, net.n_threads);
    tl_row *rows = calloc((size_t)o.t.epochs, sizeof *rows);
    for (int e = 0; !st && e < o.t.epochs; e++) {
        tl_row *r = &rows[e];
        r->epoch = e + 1;
        st = tr_train_epoch(&net, &train, &o.t, e, tl_progress, &o.t.epochs, &r->log);
        if (!st) st = tr_evaluate(&net, &test, o.t.limit_test, &r->test_acc);
        if (!st) print_row(r, o.t.epochs);
    }
    if (st) rc = cli_status(st);
    char acc[32], ep[16];
    snprintf(acc, sizeof acc, "%.4f", rows[o.t.epochs - 1].test_acc);
    snprintf(ep, sizeof ep, "%d", o.t.epochs);
    const char *meta[] = {"test_acc", acc, "epochs", ep, "trained_by", "vsq train"};
    if (!rc && o.out && (st = tr_ckpt_save(&net, o.out, meta, 3))) rc = cli_status(st);
    double speed[2] = {0, 0};
    if (!rc) measure_speed(&net, rows, o.t.epochs, speed);
    if (!rc) rc = write_logs(&o, &net, rows, o.t.epochs, speed);
    free(rows);
    tr_net_free(&net);
    tr_dataset_free(&train), tr_dataset_free(&test);
    return rc;
}

const cli_command cmd_train = {
    "train", cmd_train_run, "train a small CNN on Fashion-MNIST in fp32 (checkpoint for vsq qat)",
    "usage: vsq train [--model cnn|mbnet] [--out CKPT.safetensors] [options]\n"
    "\n"
    "Trains the plain conv-BN-ReLU CNN (cnn) or the depthwise-separable\n"
    "MobileNet-style net (mbnet) from scratch in fp32 on Fashion-MNIST (Debian\n"
    "package dataset-fashion-mnist) and writes a safetensors checkpoint\n"
    "(docs/qat.md). SGD with momentum and weight decay, cosine learning rate\n"
    "per step; a fixed seed and thread count give bit-identical runs.\n"
    "\n"
    "  --model M          cnn (default) or mbnet\n"
    "  --out FILE         checkpoint (.safetensors), written atomically\n"
    "  --data DIR         IDX files (default /usr/share/datasets/fashion-mnist or $VSQ_FMNIST)\n"
    "  --epochs N         default 8\n"
    "  --batch N          default 64\n"
    "  --lr X             initial learning rate, default 0.05\n"
    "  --momentum X       default 0.9\n"
    "  --wd X             weight decay on conv/dense weights, default 5e-4\n"
    "  --seed N           initialization and shuffling, default 1\n"
    "  --threads N        OpenMP threads (the result depends on it)\n"
    "  --limit-train N    train on a fixed seeded subset of N images\n"
    "  --limit-test N     evaluate on the first N test images\n"
    "  --csv FILE         per-epoch log (loss, accuracies, images/s)\n"
    "  --json FILE        options, seed, commit, CPU and the per-epoch log\n"
    "  --svg FILE         test accuracy per epoch\n"
    "\n"
    "Per-epoch progress (loss, accuracy, images/s) goes to stderr on a terminal;\n"
    "one line per epoch to stdout. Exit 2 on bad input (missing data set,\n"
    "corrupt IDX, bad option).\n"};
