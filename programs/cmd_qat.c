/* vsq qat: post-training quantization (--epochs 0) and quantization-aware
 * fine-tuning of a vsq train checkpoint with any weight / activation
 * format; --table9 runs the paper's Table 9 study (section 7) on both
 * models: PTQ and best QAT accuracy, per-channel vs per-vector scaling. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "train_log.h"

enum { MAX_LIST = 16 };

typedef struct {
    const char *ckpt, *data, *cfg, *w, *a, *out, *csv, *json, *svg, *md;
    const char *bits, *scales, *dw;
    int vec, mad, table9, seeds, key_seeds;
    tr_opts t;
} opts;

typedef struct {
    tl_row *rows; /* epochs + 1, rows[0] = PTQ */
    int n;
    double best;
    int best_epoch; /* first epoch reaching the best accuracy */
} qat_result;

/* "4/4U" + scaling "pc" | "fp32" | "fp16" | "e8m0" | M (two-level sM). */
static int cfg_from(const char *bits, const char *scale, int vec, vsq_layer_cfg *cfg) {
    char spec[64];
    if (!strcmp(scale, "pc")) snprintf(spec, sizeof spec, "%s/-/-", bits);
    else snprintf(spec, sizeof spec, "%s/%s/%s", bits, scale, scale);
    vsq_status st = vsq_layer_cfg_parse(spec, vec, cfg);
    if (st) return cli_status(st);
    return 0;
}

static int parse(int argc, char **argv, opts *o) {
    *o = (opts){.dw = "channels", .vec = 16, .seeds = 1, .key_seeds = 0, .bits = "4/4U,3/3U,2/4U", .scales = "pc,fp32,6,4",
                .t = {.batch = 64, .epochs = 3, .lr = 0.005, .momentum = 0.9, .weight_decay = 5e-4, .seed = 1}};
    for (int i = 1; i < argc; i++) {
        const char *v;
        long x;
        int r = train_common_opt(argc, argv, &i, &o->t, &o->data);
        if (r < 0) return CLI_BADINPUT;
        if (r || cli_opt(argc, argv, &i, "--ckpt", &o->ckpt) || cli_opt(argc, argv, &i, "--cfg", &o->cfg) ||
            cli_opt(argc, argv, &i, "--w", &o->w) || cli_opt(argc, argv, &i, "--a", &o->a) ||
            cli_opt(argc, argv, &i, "--out", &o->out) || cli_opt(argc, argv, &i, "--csv", &o->csv) ||
            cli_opt(argc, argv, &i, "--json", &o->json) || cli_opt(argc, argv, &i, "--svg", &o->svg) ||
            cli_opt(argc, argv, &i, "--md", &o->md) || cli_opt(argc, argv, &i, "--bits", &o->bits) ||
            cli_opt(argc, argv, &i, "--scales", &o->scales) || cli_opt(argc, argv, &i, "--dw", &o->dw))
            continue;
        if (cli_opt(argc, argv, &i, "--vec", &v)) {
            if (cli_parse_long(v, 1, 4096, &x)) return cli_fail(CLI_BADINPUT, "bad --vec '%s'", v);
            o->vec = (int)x;
        } else if (cli_opt(argc, argv, &i, "--seeds", &v)) {
            if (cli_parse_long(v, 1, 100, &x)) return cli_fail(CLI_BADINPUT, "bad --seeds '%s'", v);
            o->seeds = (int)x;
        } else if (cli_opt(argc, argv, &i, "--key-seeds", &v)) {
            if (cli_parse_long(v, 1, 100, &x)) return cli_fail(CLI_BADINPUT, "bad --key-seeds '%s'", v);
            o->key_seeds = (int)x;
        } else if (!strcmp(argv[i], "--mad")) {
            o->mad = 1;
        } else if (!strcmp(argv[i], "--table9")) {
            o->table9 = 1;
        } else {
            return cli_fail(CLI_BADINPUT, "unknown option '%s' (see vsq qat --help)", argv[i]);
        }
    }
    if (strcmp(o->dw, "channels") && strcmp(o->dw, "window"))
        return cli_fail(CLI_BADINPUT, "--dw must be channels or window, not '%s'", o->dw);
    if (!o->ckpt) return cli_fail(CLI_BADINPUT, "--ckpt CHECKPOINT is required (from vsq train)");
    if (!o->table9 && !o->cfg && !(o->w && o->a))
        return cli_fail(CLI_BADINPUT, "give --cfg W/A[/ws/as] or both --w SPEC and --a SPEC (or --table9)");
    if (o->t.threads) omp_set_num_threads(o->t.threads);
    return 0;
}

/* Load the checkpoint, fold BN (QAT trains the folded weights, docs/qat.md),
 * attach the formats, evaluate (the PTQ row), then fine-tune. */
static int qat_run(const opts *o, const char *ckpt, const tr_qat *q, const tr_opts *t, const tr_dataset *train,
                   const tr_dataset *test, qat_result *res) {
    tr_net net;
    *res = (qat_result){0};
    vsq_status st = tr_ckpt_load(&net, ckpt, t->batch);
    if (st) return cli_status(st);
    *res = (qat_result){.rows = calloc((size_t)t->epochs + 1, sizeof(tl_row)), .best = -1};
    if (!(st = tr_net_fold_bn(&net))) st = tr_qat_attach(&net, q);
    if (!st) st = tr_evaluate(&net, test, t->limit_test, &res->rows[0].test_acc);
    for (int e = 0; !st && e <= t->epochs; e++) {
        tl_row *r = &res->rows[e];
        r->epoch = e;
        if (e > 0) st = tr_train_epoch(&net, train, t, e - 1, tl_progress, (void *)&t->epochs, &r->log);
        if (e > 0 && !st) st = tr_evaluate(&net, test, t->limit_test, &r->test_acc);
        if (st) break;
        res->n = e + 1;
        if (e > 0 && r->test_acc > res->best) res->best = r->test_acc, res->best_epoch = e;
        fprintf(stderr, "  epoch %d: %s%.2f%% test", e, e ? "" : "PTQ ", 100 * r->test_acc);
        if (e) fprintf(stderr, "  loss %.4f  %.0f img/s", r->log.loss, r->log.images_per_s);
        fputc('\n', stderr);
    }
    if (!st && o && o->out) {
        const char *meta[] = {"trained_by", "vsq qat (BN folded, float master weights)"};
        st = tr_ckpt_save(&net, o->out, meta, 1);
    }
    tr_net_free(&net);
    if (st) {
        free(res->rows);
        return cli_status(st);
    }
    return 0;
}

static void fmt_json(cJSON *o, const tr_qat *q) {
    char w[96], a[96];
    vsq_format_str(&q->w, w, sizeof w);
    vsq_format_str(&q->a, a, sizeof a);
    cJSON_AddStringToObject(o, "w", w);
    cJSON_AddStringToObject(o, "a", a);
    cJSON_AddBoolToObject(o, "mad", q->mad);
    cJSON_AddStringToObject(o, "bn", "folded into the conv/dense weights (running statistics) before QAT");
    cJSON_AddStringToObject(o, "first_layer_input", "not quantized (8-bit image)");
    cJSON_AddStringToObject(o, "dw_vectors", q->dw_window ? "window (along each channel's taps)" : "channels (across channels, per tap)");
}

static int single_run(const opts *o, const tr_dataset *train, const tr_dataset *test) {
    tr_qat q = {.mad = o->mad, .dw_window = !strcmp(o->dw, "window")};
    vsq_layer_cfg cfg;
    vsq_status st = VSQ_OK;
    if (o->cfg) {
        if ((st = vsq_layer_cfg_parse(o->cfg, o->vec, &cfg))) return cli_status(st);
        q.w = cfg.w, q.a = cfg.a;
    }
    if (o->w && (st = vsq_format_parse(o->w, &q.w))) return cli_status(st);
    if (o->a && (st = vsq_format_parse(o->a, &q.a))) return cli_status(st);
    qat_result r;
    int rc = qat_run(o, o->ckpt, &q, &o->t, train, test, &r);
    if (rc) return rc;
    printf("PTQ %.2f%%", 100 * r.rows[0].test_acc);
    if (r.n > 1) printf("  best QAT %.2f%% (%d)", 100 * r.best, r.best_epoch);
    printf("\n");
    if (o->csv && (rc = tl_write_csv(o->csv, r.rows, r.n))) goto done;
    if (o->svg) {
        const char *label = o->cfg ? o->cfg : o->w;
        const tl_row *rows = r.rows;
        if ((rc = tl_write_svg(o->svg, "vsq qat: test accuracy", &label, &rows, &r.n, 1))) goto done;
    }
    if (o->json) {
        cJSON *root = cJSON_CreateObject(), *op = cJSON_AddObjectToObject(root, "options");
        cJSON_AddStringToObject(root, "command", "qat");
        cJSON_AddStringToObject(op, "ckpt", o->ckpt);
        fmt_json(op, &q);
        train_opts_json(op, &o->t);
        tl_add_env(root);
        cJSON_AddNumberToObject(root, "ptq_acc", r.rows[0].test_acc);
        cJSON_AddNumberToObject(root, "best_qat_acc", r.best);
        cJSON_AddNumberToObject(root, "best_qat_epoch", r.best_epoch);
        cJSON_AddItemToObject(root, "epochs", tl_rows_json(r.rows, r.n));
        rc = tl_write_json(o->json, root);
        cJSON_Delete(root);
    }
done:
    free(r.rows);
    return rc;
}

/* ---- Table 9 ---- */

typedef struct {
    const char *model, *bits, *scale;
    int n_seeds;
    double ptq, best[MAX_LIST];
    int best_epoch[MAX_LIST];
    tl_row *curve; /* seed 1 */
    int n_curve;
} t9_row;

static void mean_spread(const double *v, int n, double *mean, double *spread) {
    double s = 0, lo = v[0], hi = v[0];
    for (int i = 0; i < n; i++) s += v[i], lo = fmin(lo, v[i]), hi = fmax(hi, v[i]);
    *mean = s / n, *spread = hi - lo;
}

static char *table9_markdown(const t9_row *rows, int n, const opts *o) {
    size_t cap = 4096 + (size_t)n * 256, len = 0;
    char *b = malloc(cap);
#define OUT(...) (len += (size_t)snprintf(b + len, cap - len, __VA_ARGS__))
    OUT("| model | W/A | scaling | PTQ %% | best QAT %% (epoch) | seeds: mean ± spread (max-min) |\n");
    OUT("|---|---|---|---|---|---|\n");
    for (int i = 0; i < n; i++) {
        const t9_row *r = &rows[i];
        const char *sc = !strcmp(r->scale, "pc") ? "per-channel W, per-tensor A"
                         : !strcmp(r->scale, "fp32") ? "per-vector V, fp32 scales"
                                                     : NULL;
        char scb[64];
        if (!sc) snprintf(scb, sizeof scb, "per-vector V, two-level %s-bit scales", r->scale), sc = scb;
        OUT("| %s | %s | %s | %.2f | %.2f (%d) |", r->model, r->bits, sc, 100 * r->ptq, 100 * r->best[0], r->best_epoch[0]);
        if (r->n_seeds > 1) {
            double m, s;
            mean_spread(r->best, r->n_seeds, &m, &s);
            OUT(" %.2f ± %.2f (%d seeds) |\n", 100 * m, 100 * s, r->n_seeds);
        } else {
            OUT(" – |\n");
        }
    }
    OUT("\nV = %d. QAT: %d epochs of %d training images, batch %d, lr %g cosine, momentum %g, wd %g%s; "
        "test on %d images.\n", o->vec, o->t.epochs, o->t.limit_train ? o->t.limit_train : 60000, o->t.batch,
        o->t.lr, o->t.momentum, o->t.weight_decay, o->mad ? ", MAD" : "", o->t.limit_test ? o->t.limit_test : 10000);
#undef OUT
    return b;
}

static int table9(const opts *o, const tr_dataset *train, const tr_dataset *test) {
    char ck[1024], bs[256], sc[256];
    snprintf(ck, sizeof ck, "%s", o->ckpt), snprintf(bs, sizeof bs, "%s", o->bits), snprintf(sc, sizeof sc, "%s", o->scales);
    char *ckpts[MAX_LIST], *bits[MAX_LIST], *scales[MAX_LIST];
    int nc = cli_split_commas(ck, ckpts, MAX_LIST), nb = cli_split_commas(bs, bits, MAX_LIST),
        ns = cli_split_commas(sc, scales, MAX_LIST);
    vsq_layer_cfg probe;
    for (int b = 0; b < nb; b++)
        for (int s = 0; s < ns; s++)
            if (cfg_from(bits[b], scales[s], o->vec, &probe)) return CLI_BADINPUT;
    t9_row *rows = calloc((size_t)(nc * nb * ns), sizeof *rows);
    cJSON *root = cJSON_CreateObject(), *op = cJSON_AddObjectToObject(root, "options"), *jr = cJSON_AddArrayToObject(root, "rows");
    cJSON_AddStringToObject(root, "command", "qat --table9");
    cJSON_AddStringToObject(op, "ckpts", o->ckpt);
    cJSON_AddStringToObject(op, "bits", o->bits);
    cJSON_AddStringToObject(op, "scales", o->scales);
    cJSON_AddNumberToObject(op, "vec", o->vec);
    cJSON_AddBoolToObject(op, "mad", o->mad);
    cJSON_AddStringToObject(op, "bn", "folded into the conv/dense weights (running statistics) before QAT");
    cJSON_AddStringToObject(op, "first_layer_input", "not quantized (8-bit image)");
    cJSON_AddStringToObject(op, "activations", "dynamic scales per image (pc rows: one per-tensor scale per image)");
    train_opts_json(op, &o->t);
    tl_add_env(root);
    int n = 0, rc = 0;
    for (int c = 0; c < nc && !rc; c++)
        for (int b = 0; b < nb && !rc; b++)
            for (int s = 0; s < ns && !rc; s++) {
                t9_row *r = &rows[n];
                vsq_layer_cfg cfg;
                cfg_from(bits[b], scales[s], o->vec, &cfg);
                tr_qat q = {.w = cfg.w, .a = cfg.a, .mad = o->mad, .dw_window = !strcmp(o->dw, "window")};
                /* key rows (the first bit-width) get key_seeds seeds */
                r->n_seeds = b == 0 && o->key_seeds ? o->key_seeds : o->seeds;
                r->bits = bits[b], r->scale = scales[s];
                cJSON *jrow = cJSON_CreateObject(), *jseeds = cJSON_CreateArray();
                for (int k = 0; k < r->n_seeds && !rc; k++) {
                    tr_opts t = o->t;
                    t.seed = o->t.seed + (uint64_t)k;
                    qat_result res = {0};
                    fprintf(stderr, "vsq qat --table9: %s %s %s seed %llu\n", ckpts[c], bits[b], scales[s],
                            (unsigned long long)t.seed);
                    if ((rc = qat_run(NULL, ckpts[c], &q, &t, train, test, &res))) break;
                    r->ptq = res.rows[0].test_acc, r->best[k] = res.best, r->best_epoch[k] = res.best_epoch;
                    cJSON *js = cJSON_CreateObject();
                    cJSON_AddNumberToObject(js, "seed", (double)t.seed);
                    cJSON_AddNumberToObject(js, "best_qat_acc", res.best);
                    cJSON_AddNumberToObject(js, "best_qat_epoch", res.best_epoch);
                    cJSON_AddItemToObject(js, "epochs", tl_rows_json(res.rows, res.n));
                    cJSON_AddItemToArray(jseeds, js);
                    if (k == 0) r->curve = res.rows, r->n_curve = res.n;
                    else free(res.rows);
                }
                tr_net probe_net; /* the model name for the table */
                r->model = "?";
                if (!rc && !tr_ckpt_load(&probe_net, ckpts[c], 1)) {
                    r->model = !strcmp(probe_net.model, "cnn") ? "cnn" : "mbnet";
                    tr_net_free(&probe_net);
                }
                fmt_json(jrow, &q);
                cJSON_AddStringToObject(jrow, "model", r->model);
                cJSON_AddStringToObject(jrow, "ckpt", ckpts[c]);
                cJSON_AddStringToObject(jrow, "bits", bits[b]);
                cJSON_AddStringToObject(jrow, "scaling", scales[s]);
                cJSON_AddNumberToObject(jrow, "ptq_acc", r->ptq);
                cJSON_AddItemToObject(jrow, "seeds", jseeds);
                cJSON_AddItemToArray(jr, jrow);
                if (!rc) n++;
                /* partial results survive an interrupted run */
                if (!rc && o->json) rc = tl_write_json(o->json, root);
                char *md = table9_markdown(rows, n, o);
                if (!rc && o->md) rc = cli_write_text(o->md, md);
                free(md);
            }
    if (!rc) {
        char *md = table9_markdown(rows, n, o);
        fputs(md, stdout);
        free(md);
    }
    if (!rc && o->svg) {
        const char *labels[MAX_LIST * MAX_LIST];
        const tl_row *curves[MAX_LIST * MAX_LIST];
        int lens[MAX_LIST * MAX_LIST], m = 0;
        static char names[MAX_LIST * MAX_LIST][48];
        for (int i = 0; i < n && m < 8; i++) {
            if (strcmp(rows[i].bits, bits[0])) continue; /* the key bit-width only */
            snprintf(names[m], sizeof names[m], "%s %s %s", rows[i].model, rows[i].bits, rows[i].scale);
            labels[m] = names[m], curves[m] = rows[i].curve, lens[m] = rows[i].n_curve, m++;
        }
        if (m) rc = tl_write_svg(o->svg, "QAT test accuracy per epoch (seed 1)", labels, curves, lens, m);
    }
    for (int i = 0; i < n; i++) free(rows[i].curve);
    free(rows);
    cJSON_Delete(root);
    return rc;
}

static int cmd_qat_run(int argc, char **argv) {
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc;
    tr_dataset train, test;
    if ((rc = tl_load_data(o.data, &train, &test))) return rc;
    rc = o.table9 ? table9(&o, &train, &test) : single_run(&o, &train, &test);
    tr_dataset_free(&train), tr_dataset_free(&test);
    return rc;
}

const cli_command cmd_qat = {
    "qat", cmd_qat_run, "PTQ and quantization-aware fine-tuning of a vsq train checkpoint (Table 9)",
    "usage: vsq qat --ckpt CKPT (--cfg W/A[/ws/as] | --w SPEC --a SPEC) [options]\n"
    "       vsq qat --table9 --ckpt CKPT[,CKPT...] [--bits LIST] [--scales LIST] [options]\n"
    "\n"
    "Folds BN into the weights, fake-quantizes every conv/dense weight and\n"
    "every MAC-layer input (except the 8-bit image) with the given formats,\n"
    "evaluates (epoch 0 = post-training quantization) and fine-tunes with the\n"
    "straight-through estimator; scales are recomputed from the current\n"
    "tensors at every step (paper 7). --epochs 0 gives the PTQ accuracy only.\n"
    "\n"
    "  --ckpt FILE        checkpoint from vsq train (comma list with --table9)\n"
    "  --cfg W/A/ws/as    paper notation, e.g. 4/4U/-/- (per-channel), 4/4U/4/4\n"
    "                     (two-level 4-bit scales), 4/4U/fp32/fp32; V from --vec\n"
    "  --w SPEC --a SPEC  explicit formats (docs/formats.md), e.g. int4:v16:fp32:octav\n"
    "  --vec V            vector length for --cfg / --table9, default 16\n"
    "  --mad              OCTAV magnitude-aware differentiation for clipped weights\n"
    "  --dw channels|window  per-vector depthwise weights: vectors across channels\n"
    "                     of one tap (default) or along each channel's taps\n"
    "  --epochs N         fine-tuning epochs, default 3 (0 = PTQ only)\n"
    "  --lr X             default 0.005 (cosine to 0); --momentum, --wd, --batch,\n"
    "                     --seed, --threads, --limit-train, --limit-test, --data\n"
    "                     as in vsq train\n"
    "  --out FILE         fine-tuned checkpoint (BN folded, float master weights)\n"
    "  --csv/--json/--svg per-epoch log, full record, accuracy-vs-epoch plot\n"
    "\n"
    "Table 9 (--table9): every checkpoint x --bits (default 4/4U,3/3U,2/4U) x\n"
    "--scales (default pc,fp32,6,4: per-channel, per-vector fp32, two-level\n"
    "6-bit and 4-bit scales), same checkpoint and schedule; --seeds N runs every\n"
    "row with seeds seed..seed+N-1, --key-seeds N only the first bit-width.\n"
    "  --md FILE          the markdown table (rewritten after every row)\n"
    "  --json FILE        every run's per-epoch log (rewritten after every row)\n"
    "  --svg FILE         accuracy per epoch of the first bit-width's rows\n"};
