/* vsq dse - design-space exploration (paper 6, Figs. 3-6): accuracy sweep
 * results x the hardware cost model -> Pareto-optimal designs per accuracy
 * band, pareto.csv and SVG plots. Input format: docs/hardware.md. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "vsq/hw.h"

enum { MAX_FILES = 64, MAX_BANDS = 6 };

typedef struct {
    const char *files[MAX_FILES];
    int n_files;
    const char *out, *title;
    double baseline;
    int has_baseline, absolute;
    double edges[MAX_BANDS];
    int n_edges;
    long v, round;
} dse_opts;

static int parse_bands(const char *s, dse_opts *o) {
    char buf[256], *items[MAX_BANDS + 1];
    snprintf(buf, sizeof buf, "%s", s);
    int n = cli_split_commas(buf, items, MAX_BANDS + 1);
    if (n < 1 || n > MAX_BANDS)
        return cli_fail(CLI_BADINPUT, "--bands wants 1..%d comma-separated losses", MAX_BANDS);
    for (int i = 0; i < n; i++) {
        if (cli_parse_double(items[i], &o->edges[i]) || (i && o->edges[i] <= o->edges[i - 1]))
            return cli_fail(CLI_BADINPUT, "--bands: '%s' is not an increasing number", items[i]);
    }
    o->n_edges = n;
    return CLI_OK;
}

static int parse_opts(int argc, char **argv, dse_opts *o) {
    memset(o, 0, sizeof *o);
    o->v = 16;
    o->title = "VS-Quant design space";
    const double def[] = {1, 2, 3, 5};
    memcpy(o->edges, def, sizeof def);
    o->n_edges = 4;
    for (int i = 1; i < argc; i++) {
        const char *val;
        if (!strcmp(argv[i], "--results")) {
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
                if (o->n_files == MAX_FILES) return cli_fail(CLI_BADINPUT, "too many files");
                o->files[o->n_files++] = argv[++i];
            }
        } else if (cli_opt(argc, argv, &i, "--out", &o->out)) {
        } else if (cli_opt(argc, argv, &i, "--title", &o->title)) {
        } else if (cli_opt(argc, argv, &i, "--baseline", &val)) {
            if (cli_parse_double(val, &o->baseline) || o->baseline == 0)
                return cli_fail(CLI_BADINPUT, "--baseline wants a non-zero number, got '%s'", val);
            o->has_baseline = 1;
        } else if (cli_opt(argc, argv, &i, "--bands", &val)) {
            if (parse_bands(val, o) != CLI_OK) return CLI_BADINPUT;
        } else if (!strcmp(argv[i], "--abs")) {
            o->absolute = 1;
        } else if (cli_opt(argc, argv, &i, "--v", &val)) {
            if (cli_parse_long(val, 1, 4096, &o->v))
                return cli_fail(CLI_BADINPUT, "--v wants 1..4096, got '%s'", val);
        } else if (cli_opt(argc, argv, &i, "--round", &val)) {
            if (cli_parse_long(val, 0, 32, &o->round))
                return cli_fail(CLI_BADINPUT, "--round wants 0..32, got '%s'", val);
        } else {
            return cli_fail(CLI_BADINPUT, "unknown option '%s' (see vsq dse --help)", argv[i]);
        }
    }
    if (!o->n_files) return cli_fail(CLI_BADINPUT, "missing --results FILE...");
    if (!o->out) return cli_fail(CLI_BADINPUT, "missing --out DIR");
    return CLI_OK;
}

/* Baseline: --baseline, else the best metric of the set (stated in the CSV). */
static double pick_baseline(const vsq_dse_set *s, const dse_opts *o) {
    if (o->has_baseline) return o->baseline;
    double b = s->p[0].metric;
    for (size_t i = 1; i < s->n; i++)
        b = s->lower_better ? fmin(b, s->p[i].metric) : fmax(b, s->p[i].metric);
    return b;
}

static vsq_status cost_all(vsq_dse_set *s, const dse_opts *o) {
    vsq_hw_arch arch;
    vsq_hw_arch_default(&arch);
    for (size_t i = 0; i < s->n; i++) {
        vsq_hw_cfg c;
        int v = s->p[i].v ? s->p[i].v : (int)o->v;
        vsq_status st = vsq_hw_cfg_parse(s->p[i].cfg, v, (int)o->round, &c);
        if (st == VSQ_OK) st = vsq_hw_cost_eval(&c, &arch, &s->p[i].cost);
        if (st != VSQ_OK) return st;
    }
    return VSQ_OK;
}

static int write_csv(const char *path, const vsq_dse_set *s, double baseline) {
    size_t cap = 256 + s->n * 200, n = 0;
    char *t = malloc(cap);
    if (!t) return cli_fail(CLI_FAIL, "out of memory");
    n += (size_t)snprintf(t + n, cap - n,
                          "model,cfg,%s,baseline,band,pareto,energy_rel,area_rel,"
                          "perf_per_area_rel,acc_bits\n", s->metric_name);
    for (size_t i = 0; i < s->n; i++) {
        const vsq_dse_point *p = &s->p[i];
        n += (size_t)snprintf(t + n, cap - n, "%s,%s,%.6g,%.6g,%d,%d,%.4f,%.4f,%.4f,%d\n",
                              p->model, p->cfg, p->metric, baseline, p->band, p->pareto,
                              p->cost.energy_rel, p->cost.area_rel, p->cost.perf_per_area_rel,
                              p->cost.acc_bits);
    }
    int rc = cli_write_text(path, t);
    free(t);
    return rc;
}

/* Fig. 3: energy of configurations at full scale product and rounded to 6
 * and 4 bits (per-channel designs have no scale product: one bar). */
static int write_fig3(const char *path, int v) {
    static const char *const cfgs[] = {"4/4/-/-", "6/6/-/-", "6/8/-/-", "8/8/-/-", "4/4/4/4",
                                       "6/6/4/4", "6/8/4/4", "8/8/6/-", "6/8/6/-", "4/8/6/10"};
    static const char *const series[] = {"full-width s_w*s_a", "rounded to 6 bits",
                                         "rounded to 4 bits"};
    static const int rounds[] = {0, 6, 4};
    enum { NG = sizeof cfgs / sizeof cfgs[0] };
    vsq_svg_group g[NG];
    vsq_hw_arch arch;
    vsq_hw_arch_default(&arch);
    for (int i = 0; i < NG; i++) {
        g[i].label = cfgs[i];
        g[i].value[3] = NAN;
        for (int k = 0; k < 3; k++) {
            vsq_hw_cfg c;
            vsq_hw_cost cost;
            vsq_status st = vsq_hw_cfg_parse(cfgs[i], v, rounds[k], &c);
            if (st == VSQ_OK) st = vsq_hw_cost_eval(&c, &arch, &cost);
            if (st != VSQ_OK) return cli_status(st);
            int scaled = c.ws_bits || c.as_bits;
            g[i].value[k] = (k == 0 || scaled) ? cost.energy_rel : NAN;
        }
    }
    return cli_status(vsq_svg_bars(path, "Energy per operation vs scale-product rounding (cf. Fig. 3)",
                                   series, 3, g, NG, "energy / op (rel. to 8/8/-/-)"));
}

static int run_dse(int argc, char **argv) {
    dse_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc != CLI_OK) return rc;
    if (mkdir(o.out, 0777) != 0 && errno != EEXIST)
        return cli_fail(CLI_BADINPUT, "%s: cannot create output folder", o.out);
    vsq_dse_set s = {0};
    vsq_status st = VSQ_OK;
    for (int i = 0; i < o.n_files && st == VSQ_OK; i++) st = vsq_dse_load(o.files[i], &s);
    if (st == VSQ_OK && s.n == 0) st = vsq_error(VSQ_EFORMAT, "no usable result rows");
    if (st == VSQ_OK) st = cost_all(&s, &o);
    if (st != VSQ_OK) {
        vsq_dse_free(&s);
        return cli_status(st);
    }
    double base = pick_baseline(&s, &o);
    vsq_dse_bands(&s, base, o.edges, o.n_edges, !o.absolute);
    vsq_dse_pareto(&s);
    char path[4096];
    snprintf(path, sizeof path, "%s/pareto.csv", o.out);
    rc = write_csv(path, &s, base);
    if (rc == CLI_OK) {
        snprintf(path, sizeof path, "%s/dse.svg", o.out);
        rc = cli_status(vsq_svg_dse(path, &s, o.edges, o.n_edges, base, !o.absolute, o.title));
    }
    if (rc == CLI_OK) {
        snprintf(path, sizeof path, "%s/fig3_rounding.svg", o.out);
        rc = write_fig3(path, (int)o.v);
    }
    size_t in_band = 0, front = 0;
    for (size_t i = 0; i < s.n; i++) in_band += s.p[i].band >= 0, front += s.p[i].pareto;
    if (rc == CLI_OK)
        printf("%zu designs, %zu within the bands, %zu Pareto-optimal (baseline %s %g); "
               "wrote %s/pareto.csv, dse.svg, fig3_rounding.svg\n",
               s.n, in_band, front, s.metric_name, base, o.out);
    vsq_dse_free(&s);
    return rc;
}

const cli_command cmd_dse = {
    "dse", run_dse, "design-space exploration: accuracy x area x energy, Pareto fronts",
    "usage: vsq dse --results FILE... --out DIR [--baseline VALUE] [--bands L1,L2,...]\n"
    "               [--abs] [--v V] [--round R] [--title TEXT]\n\n"
    "Reads sweep results (CSV with a header, or a JSON array of objects) with a 'cfg'\n"
    "column (W/A/ws/as) and 'top1' (higher is better) or 'ppl' (lower is better);\n"
    "optional 'model' and 'v'. Each design is costed with the hardware model (vsq hw\n"
    "cost), put in an accuracy band by its loss against --baseline (fp32; default: the\n"
    "best value in the files) - in %% of the baseline, or in metric units with --abs;\n"
    "default bands 1,2,3,5 - and marked Pareto-optimal (lowest energy/op, highest\n"
    "perf/area) within its band and model. Writes DIR/pareto.csv, DIR/dse.svg (cf.\n"
    "Figs. 4-6) and DIR/fig3_rounding.svg (cf. Fig. 3). Format: docs/hardware.md.\n"};
