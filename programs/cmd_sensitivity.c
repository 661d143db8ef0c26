/* vsq sensitivity: which layers of a CNN lose the accuracy. Quantizes the
 * weights of one MAC layer at a time (everything else fp32) in each given
 * format and reports top-1, its drop, and the SQNR of the logits against
 * fp32 on the same images; with --budget, picks a format per layer from
 * each candidate set (greedy on those SQNRs, cnn_mixed_greedy) under an
 * average bits-per-weight budget and scores the mixed model. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cnn_cli.h"
#include "commands.h"
#include "vsq/hw.h"
#include "vsq/cnn.h"

#define MAX_SETS 4
#define MAX_FMT 12
#define MAX_BUDGETS 16

static void progress_images(size_t done, size_t total) { cli_progress("images", done, total); }
static void progress_layers(size_t done, size_t total) { cli_progress("layers", done, total); }

typedef struct {
    const char *model, *data, *json, *csv, *svg, *mixed_csv, *mixed_svg, *a;
    char *sets[MAX_SETS];
    int n_sets;
    long limit, first, threads, mixed_images;
    double budget[MAX_BUDGETS];
    int n_budget;
    cnn_pp_opts pp;
} opts;

typedef struct {
    char spec[64];
    vsq_format f;
    int set;
} fmt_entry;

static int parse_budgets(const char *v, opts *o) {
    char buf[512], *items[MAX_BUDGETS];
    snprintf(buf, sizeof buf, "%s", v);
    o->n_budget = cli_split_commas(buf, items, MAX_BUDGETS);
    for (int i = 0; i < o->n_budget; i++)
        if (cli_parse_double(items[i], &o->budget[i]) || !(o->budget[i] > 1 && o->budget[i] <= 32))
            return cli_fail(CLI_BADINPUT, "bad --budget value '%s' (bits per weight, 1..32)", items[i]);
    return o->n_budget > 0 ? CLI_OK : cli_fail(CLI_BADINPUT, "--budget needs values");
}

static int parse_opts(int argc, char **argv, opts *o) {
    static char model[4096], data[4096];
    snprintf(model, sizeof model, "%s/models/mobilenet_v1_0.75_224", cli_shared_dir());
    snprintf(data, sizeof data, "%s/data/imagenet-val1300", cli_shared_dir());
    *o = (opts){.model = model, .data = data, .limit = 100, .pp = {.round8 = -1}};
    for (int i = 1; i < argc; i++) {
        const char *v;
        int rc;
        if (cli_opt(argc, argv, &i, "--model", &o->model) || cli_opt(argc, argv, &i, "--data", &o->data) ||
            cli_opt(argc, argv, &i, "--json", &o->json) || cli_opt(argc, argv, &i, "--csv", &o->csv) ||
            cli_opt(argc, argv, &i, "--svg", &o->svg) || cli_opt(argc, argv, &i, "--mixed-csv", &o->mixed_csv) ||
            cli_opt(argc, argv, &i, "--mixed-svg", &o->mixed_svg) || cli_opt(argc, argv, &i, "--a", &o->a))
            continue;
        if (cnn_pp_opt(argc, argv, &i, &o->pp, &rc)) {
            if (rc) return rc;
        } else if (cli_opt(argc, argv, &i, "--fmt", &v)) {
            if (o->n_sets == MAX_SETS) return cli_fail(CLI_BADINPUT, "at most %d --fmt sets", MAX_SETS);
            o->sets[o->n_sets++] = (char *)v;
        } else if (cli_opt(argc, argv, &i, "--limit", &v)) {
            if (cli_parse_long(v, 1, 100000, &o->limit)) return cli_fail(CLI_BADINPUT, "bad --limit '%s'", v);
        } else if (cli_opt(argc, argv, &i, "--first", &v)) {
            if (cli_parse_long(v, 0, 100000, &o->first)) return cli_fail(CLI_BADINPUT, "bad --first '%s'", v);
        } else if (cli_opt(argc, argv, &i, "--mixed-images", &v)) {
            if (cli_parse_long(v, 1, 100000, &o->mixed_images)) return cli_fail(CLI_BADINPUT, "bad --mixed-images '%s'", v);
        } else if (cli_opt(argc, argv, &i, "--threads", &v)) {
            if (cli_parse_long(v, 1, 1024, &o->threads)) return cli_fail(CLI_BADINPUT, "bad --threads '%s'", v);
        } else if (cli_opt(argc, argv, &i, "--budget", &v)) {
            if ((rc = parse_budgets(v, o))) return rc;
        } else {
            return cli_fail(CLI_BADINPUT, "unknown option '%s' (see vsq sensitivity --help)", argv[i]);
        }
    }
    if (!o->n_sets) return cli_fail(CLI_BADINPUT, "--fmt SPEC[,SPEC...] is required");
    if (!o->json && !o->csv) return cli_fail(CLI_BADINPUT, "--json FILE or --csv FILE is required");
    if (o->n_budget && !o->mixed_csv && !o->json) return cli_fail(CLI_BADINPUT, "--budget needs --mixed-csv or --json");
    return CLI_OK;
}

/* Every format of every set, in order; sets are ordered by decreasing bits. */
static int parse_formats(const opts *o, fmt_entry *fe, int *n, int *set_start, int *set_len) {
    *n = 0;
    for (int s = 0; s < o->n_sets; s++) {
        char buf[1024], *items[MAX_FMT];
        snprintf(buf, sizeof buf, "%s", o->sets[s]);
        int k = cli_split_commas(buf, items, MAX_FMT);
        set_start[s] = *n, set_len[s] = k;
        for (int j = 0; j < k; j++) {
            if (*n == MAX_FMT) return cli_fail(CLI_BADINPUT, "at most %d formats in all", MAX_FMT);
            fmt_entry *e = &fe[(*n)++];
            snprintf(e->spec, sizeof e->spec, "%s", items[j]);
            e->set = s;
            if (vsq_format_parse(items[j], &e->f)) return cli_fail(CLI_BADINPUT, "--fmt: %s", vsq_last_error());
        }
    }
    return CLI_OK;
}

static void layer_row_json(cJSON *layers, const cnn_model *m, const cnn_sens *s, int n_mac, const fmt_entry *fe,
                           int n_fmt, int j, double base) {
    const cnn_layer *l = &m->l[s[j].layer];
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "name", l->name);
    cJSON_AddStringToObject(r, "op", cnn_op_name(l->op));
    cJSON_AddNumberToObject(r, "params", (double)s[j].params);
    cJSON *fs = cJSON_AddArrayToObject(r, "formats");
    for (int f = 0; f < n_fmt; f++) {
        const cnn_sens *e = &s[(size_t)f * n_mac + j];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "fmt", fe[f].spec);
        cJSON_AddNumberToObject(x, "bits", e->bits);
        cJSON_AddNumberToObject(x, "top1", e->top1);
        cJSON_AddNumberToObject(x, "drop", base - e->top1);
        cJSON_AddNumberToObject(x, "sqnr_db", isfinite(e->sqnr_db) ? e->sqnr_db : 999);
        cJSON_AddItemToArray(fs, x);
    }
    cJSON_AddItemToArray(layers, r);
}

/* Table on stdout, CSV, SVG (SQNR per layer, up to 4 formats). */
static int report_layers(const opts *o, const cnn_model *m, const cnn_sens *s, int n_mac, const fmt_entry *fe,
                         int n_fmt, double base, cJSON *root) {
    printf("%-4s %-44s %-7s %9s", "#", "layer", "op", "params");
    for (int f = 0; f < n_fmt; f++) printf(" | %-18.18s drop  SQNR", fe[f].spec);
    printf("\n");
    size_t cap = 4096 + (size_t)n_mac * n_fmt * 200;
    char *csv = malloc(cap);
    if (!csv) return cli_fail(CLI_FAIL, "no memory");
    size_t off = (size_t)snprintf(csv, cap, "layer,name,op,params,fmt,bits,top1,drop,sqnr_db\n");
    cJSON *layers = cJSON_AddArrayToObject(root, "layers");
    for (int j = 0; j < n_mac; j++) {
        const cnn_layer *l = &m->l[s[j].layer];
        printf("%-4d %-44.44s %-7s %9zu", j, l->name, cnn_op_name(l->op), s[j].params);
        for (int f = 0; f < n_fmt; f++) {
            const cnn_sens *e = &s[(size_t)f * n_mac + j];
            printf(" | %5.2fb %11.2f %5.1f", e->bits, base - e->top1, e->sqnr_db);
            off += (size_t)snprintf(csv + off, cap - off, "%d,%s,%s,%zu,%s,%.4f,%.4f,%.4f,%.3f\n", j, l->name,
                                    cnn_op_name(l->op), s[j].params, fe[f].spec, e->bits, e->top1, base - e->top1,
                                    e->sqnr_db);
        }
        printf("\n");
        layer_row_json(layers, m, s, n_mac, fe, n_fmt, j, base);
    }
    int rc = o->csv && cli_write_text(o->csv, csv) ? cli_fail(CLI_FAIL, "cannot write %s", o->csv) : CLI_OK;
    free(csv);
    if (rc || !o->svg) return rc;
    int ns = n_fmt < 4 ? n_fmt : 4;
    vsq_svg_group *g = calloc((size_t)n_mac, sizeof *g);
    char (*labels)[16] = calloc((size_t)n_mac, sizeof *labels);
    const char *series[4];
    if (!g || !labels) { free(g); free(labels); return cli_fail(CLI_FAIL, "no memory"); }
    for (int f = 0; f < ns; f++) series[f] = fe[f].spec;
    for (int j = 0; j < n_mac; j++) {
        snprintf(labels[j], sizeof labels[j], "%d", j);
        g[j].label = labels[j];
        for (int f = 0; f < ns; f++) {
            double v = s[(size_t)f * n_mac + j].sqnr_db;
            g[j].value[f] = isfinite(v) ? fmax(v, 0) : NAN;
        }
    }
    char title[256];
    snprintf(title, sizeof title, "Logit SQNR with one layer quantized (layer index), %s", o->model);
    vsq_status st = vsq_svg_bars(o->svg, title, series, ns, g, n_mac, "SQNR of logits vs fp32 (dB)");
    free(g);
    free(labels);
    return st ? cli_status(st) : CLI_OK;
}

/* Greedy choice per set and budget, then the mixed model on the scoring images. */
static int run_mixed(const opts *o, cnn_model *m, const cnn_dataset *d, int begin, int end, const float *ref,
                     const cnn_sens *s, int n_mac, const fmt_entry *fe, const int *set_start, const int *set_len,
                     cJSON *root) {
    vsq_format *lw = calloc((size_t)m->n, sizeof *lw);
    int *choice = calloc((size_t)n_mac, sizeof *choice);
    float *x = malloc((size_t)(end - begin) * m->n_classes * sizeof(float));
    char *csv = malloc(65536);
    if (!lw || !choice || !x || !csv) { free(lw); free(choice); free(x); free(csv); return cli_fail(CLI_FAIL, "no memory"); }
    size_t off = (size_t)snprintf(csv, 65536, "set,budget,avg_bits,top1,sqnr_db,n_images,first_image,formats\n");
    cJSON *arr = cJSON_AddArrayToObject(root, "mixed");
    vsq_svg_group g[MAX_BUDGETS];
    char labels[MAX_BUDGETS][16];
    int rc = CLI_OK;
    printf("\nmixed precision on images %d..%d:\n%-40s %7s %8s %8s %8s\n", begin, end - 1, "candidates", "budget",
           "avg bits", "top1 %", "SQNR");
    for (int b = 0; b < o->n_budget; b++) {
        snprintf(labels[b], sizeof labels[b], "%.2f b/w", o->budget[b]);
        g[b].label = labels[b];
        for (int k = 0; k < 4; k++) g[b].value[k] = NAN;
    }
    for (int set = 0; set < o->n_sets && !rc; set++)
        for (int b = 0; b < o->n_budget && !rc; b++) {
            double avg;
            const cnn_sens *ss = s + (size_t)set_start[set] * n_mac;
            vsq_status st = cnn_mixed_greedy(ss, set_len[set], n_mac, o->budget[b], choice, &avg);
            if (st) { /* infeasible budget for this set: recorded, not fatal */
                fprintf(stderr, "%s: %s\n", o->sets[set], vsq_last_error());
                continue;
            }
            cnn_qcfg q;
            cnn_qcfg_init(&q);
            q.quant_w = 1;
            q.w = fe[set_start[set]].f;
            for (int j = 0; j < n_mac; j++) lw[s[j].layer] = fe[set_start[set] + choice[j]].f;
            q.layer_w = lw;
            st = cnn_quantize_weights(m, &q);
            if (!st) st = cnn_logits(m, &q, d, begin, end, (int)o->threads, x);
            cnn_clear_weights(m);
            if (st) { rc = cli_status(st); break; }
            double top1 = cnn_logits_top1(m, d, begin, end, x);
            double sq = cnn_logits_sqnr(ref, x, (size_t)(end - begin) * m->n_classes);
            if (set < 4) g[b].value[set] = top1;
            printf("%-40.40s %7.2f %8.3f %8.2f %8.2f\n", o->sets[set], o->budget[b], avg, top1, sq);
            cJSON *r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "set", o->sets[set]);
            cJSON_AddNumberToObject(r, "budget", o->budget[b]);
            cJSON_AddNumberToObject(r, "avg_bits", avg);
            cJSON_AddNumberToObject(r, "top1", top1);
            cJSON_AddNumberToObject(r, "sqnr_db", sq);
            cJSON *ch = cJSON_AddArrayToObject(r, "formats");
            off += (size_t)snprintf(csv + off, 65536 - off, "\"%s\",%.3f,%.4f,%.4f,%.3f,%d,%d,", o->sets[set], o->budget[b],
                                    avg, top1, sq, end - begin, begin);
            for (int j = 0; j < n_mac; j++) {
                cJSON_AddItemToArray(ch, cJSON_CreateString(fe[set_start[set] + choice[j]].spec));
                if (off < 65000) off += (size_t)snprintf(csv + off, 65536 - off, "%s%s", j ? ";" : "", fe[set_start[set] + choice[j]].spec);
            }
            if (off < 65500) off += (size_t)snprintf(csv + off, 65536 - off, "\n");
            cJSON_AddItemToArray(arr, r);
        }
    if (!rc && o->mixed_csv && cli_write_text(o->mixed_csv, csv)) rc = cli_fail(CLI_FAIL, "cannot write %s", o->mixed_csv);
    if (!rc && o->mixed_svg) {
        const char *series[4];
        int ns = o->n_sets < 4 ? o->n_sets : 4;
        for (int k = 0; k < ns; k++) series[k] = o->sets[k];
        vsq_status st = vsq_svg_bars(o->mixed_svg, "Top-1 at an average bits-per-weight budget (greedy per-layer formats)",
                                     series, ns, g, o->n_budget, "top-1 (%)");
        if (st) rc = cli_status(st);
    }
    free(lw), free(choice), free(x), free(csv);
    return rc;
}

static cJSON *options_json(const opts *o, const cnn_model *m, const cnn_preproc *pp, const char *preset, int begin,
                           int end, int mixed_end) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model", o->model);
    cJSON_AddStringToObject(j, "model_format", m->format);
    cJSON_AddStringToObject(j, "data", o->data);
    cJSON_AddNumberToObject(j, "first_image", begin);
    cJSON_AddNumberToObject(j, "n_images", end - begin);
    cJSON_AddNumberToObject(j, "mixed_n_images", mixed_end - begin);
    cJSON *sets = cJSON_AddArrayToObject(j, "fmt_sets");
    for (int s = 0; s < o->n_sets; s++) cJSON_AddItemToArray(sets, cJSON_CreateString(o->sets[s]));
    cJSON_AddStringToObject(j, "a", o->a ? o->a : "fp32");
    cJSON_AddItemToObject(j, "budgets", cJSON_CreateDoubleArray(o->budget, o->n_budget));
    cJSON_AddNumberToObject(j, "threads", (double)o->threads);
    cnn_pp_json(j, pp, preset);
    return j;
}

static int run(int argc, char **argv) {
    opts o;
    int rc = parse_opts(argc, argv, &o);
    fmt_entry fe[MAX_FMT];
    int n_fmt = 0, set_start[MAX_SETS], set_len[MAX_SETS];
    if (!rc) rc = parse_formats(&o, fe, &n_fmt, set_start, set_len);
    vsq_format af;
    if (!rc && o.a && vsq_format_parse(o.a, &af)) rc = cli_fail(CLI_BADINPUT, "--a: %s", vsq_last_error());
    if (rc) return rc;
    if (o.threads > 0) omp_set_num_threads((int)o.threads);
    cnn_model m;
    vsq_status st = cnn_model_open(o.model, &m);
    if (st) return cli_status(st);
    cnn_preproc pp;
    const char *preset;
    if ((rc = cnn_pp_build(&o.pp, o.model, &m, &pp, &preset))) { cnn_model_free(&m); return rc; }
    int begin = (int)o.first, end = begin + (int)o.limit;
    int mend = begin + (int)(o.mixed_images > o.limit ? o.mixed_images : o.limit);
    cnn_dataset d;
    if ((st = cnn_dataset_open(o.data, mend, &d))) { cnn_model_free(&m); return cli_status(st); }
    if (mend > d.n) st = vsq_error(VSQ_EINVAL, "images %d..%d: the data set has %d", begin, mend - 1, d.n);
    if (!st) st = cnn_dataset_cache_pp(&d, &pp, progress_images);
    size_t nl = (size_t)(mend - begin) * m.n_classes;
    float *ref = st ? NULL : malloc(nl * sizeof(float));
    cnn_sens *s = st ? NULL : calloc((size_t)n_fmt * m.n + 1, sizeof *s);
    if (!st && (!ref || !s)) st = vsq_error(VSQ_ENOMEM, "no memory");
    if (!st) st = cnn_logits(&m, NULL, &d, begin, mend, (int)o.threads, ref);
    double base = st ? 0 : cnn_logits_top1(&m, &d, begin, end, ref);
    int n_mac = 0;
    for (int f = 0; f < n_fmt && !st; f++) {
        cnn_qcfg q;
        cnn_qcfg_init(&q);
        q.w = fe[f].f, q.quant_w = 1;
        if (o.a) q.a = af, q.quant_a = 1;
        fprintf(stderr, "sensitivity: %s on images %d..%d\n", fe[f].spec, begin, end - 1);
        st = cnn_sensitivity(&m, &q, &d, begin, end, (int)o.threads, ref, s + (size_t)f * m.n, &n_mac, progress_layers);
    }
    for (int f = 1; f < n_fmt && !st; f++) /* compact to [f][n_mac] */
        memmove(s + (size_t)f * n_mac, s + (size_t)f * m.n, (size_t)n_mac * sizeof *s);
    if (st) rc = cli_status(st);
    cJSON *root = cJSON_CreateObject();
    if (!rc) {
        cJSON_AddItemToObject(root, "options", options_json(&o, &m, &pp, preset, begin, end, mend));
        cJSON_AddNumberToObject(root, "fp32_top1", base);
        printf("fp32 top-1 on images %d..%d: %.2f %%\n", begin, end - 1, base);
        rc = report_layers(&o, &m, s, n_mac, fe, n_fmt, base, root);
    }
    if (!rc && o.n_budget) {
        double mbase = cnn_logits_top1(&m, &d, begin, mend, ref);
        cJSON_AddNumberToObject(root, "mixed_fp32_top1", mbase);
        printf("\nfp32 top-1 on images %d..%d: %.2f %%", begin, mend - 1, mbase);
        rc = run_mixed(&o, &m, &d, begin, mend, ref, s, n_mac, fe, set_start, set_len, root);
    }
    if (!rc && o.json) {
        char *js = cJSON_Print(root);
        if (!js || cli_write_text(o.json, js)) rc = cli_fail(CLI_FAIL, "cannot write %s", o.json);
        cJSON_free(js);
    }
    cJSON_Delete(root);
    free(ref);
    free(s);
    cnn_dataset_free(&d);
    cnn_model_free(&m);
    return rc;
}

const cli_command cmd_sensitivity = {
    "sensitivity", run, "per-layer quantization sensitivity of a CNN, and mixed precision under a bit budget",
    "usage: vsq sensitivity [--model DIR|FILE.onnx] [--data DIR] --fmt SPEC[,SPEC...] [--fmt ...]\n"
    "                       [--a SPEC] [--limit N] [--first I] [--threads T] [preprocessing]\n"
    "                       [--json FILE] [--csv FILE] [--svg FILE]\n"
    "                       [--budget B[,B...] [--mixed-images N] [--mixed-csv FILE] [--mixed-svg FILE]]\n\n"
    "Quantizes the weights of one convolution / dense layer at a time in each format SPEC\n"
    "(all other layers fp32; --a SPEC also quantizes that layer's input) and reports, per\n"
    "layer, the top-1 accuracy, its drop from fp32, and the SQNR of the logits against the\n"
    "fp32 logits (10 log10 sum(ref^2) / sum((ref - q)^2)) on images I..I+N-1 (default 0..99).\n"
    "Accuracy drops on few images are coarse (one image = 100/N points); the SQNR is the\n"
    "stable measure. --svg plots the SQNR per layer (up to 4 formats).\n"
    "--budget: each --fmt list is a candidate set, ordered by decreasing bits (e.g.\n"
    "--fmt int8:pc,int6:pc,int4:pc --fmt int8:v16:s6,int6:v16:s6,int4:v16:s6). For each set\n"
    "and budget (average bits per weight, scale bits included) a greedy search starts every\n"
    "layer at the first format and repeatedly moves the layer whose next cheaper format adds\n"
    "the least logit noise (10^(-SQNR/10), assumed additive) per bit saved, until the average\n"
    "fits; the mixed model is then scored on images I..I+max(N, --mixed-images)-1.\n"
    CNN_PP_USAGE
    "JSON: {\"options\", \"fp32_top1\", \"layers\": [{\"name\", \"op\", \"params\", \"formats\": [...]}],\n"
    "\"mixed\": [{\"set\", \"budget\", \"avg_bits\", \"top1\", \"sqnr_db\", \"formats\"}]}.\n"
    "Exit 0 ok, 2 bad input.\n"};
