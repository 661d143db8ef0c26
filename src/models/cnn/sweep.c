/* The paper's accuracy tables for a CNN (VS-Quant Tables 2-5 analogues).
 * Every configuration is evaluated on images [calib, n); per-tensor
 * activation configurations are calibrated on [0, calib) first, all the
 * configurations of one table in a single pass over the data. */
#include "models/cnn/sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char group[48];    /* row label, e.g. "max" or "V=16" */
    char column[48];   /* column label, e.g. "4/4U" */
    char w[64], a[64]; /* specs ("" = fp32) */
    cnn_dw_mode dw;
    cnn_first_mode first;
    cnn_qcfg q;
    cnn_result r;
} sweep_row;

typedef struct {
    sweep_row *rows;
    int n, cap;
} sweep_table;

static vsq_status add_row(sweep_table *t, const char *group, const char *column, const char *w,
                          const char *a) {
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        sweep_row *r = realloc(t->rows, (size_t)t->cap * sizeof *r);
        if (!r) return vsq_error(VSQ_ENOMEM, "sweep: no memory");
        t->rows = r;
    }
    sweep_row *r = &t->rows[t->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->group, sizeof r->group, "%s", group);
    snprintf(r->column, sizeof r->column, "%s", column);
    snprintf(r->w, sizeof r->w, "%s", w);
    snprintf(r->a, sizeof r->a, "%s", a);
    return VSQ_OK;
}

static vsq_status setup_row(sweep_row *r) {
    cnn_qcfg_init(&r->q);
    vsq_status st;
    if (r->w[0]) {
        if ((st = vsq_format_parse(r->w, &r->q.w))) return st;
        r->q.quant_w = 1;
    }
    if (r->a[0]) {
        if ((st = vsq_format_parse(r->a, &r->q.a))) return st;
        r->q.quant_a = 1;
        r->q.a_static = r->q.a.gran == VSQ_GRAN_TENSOR;
    }
    r->q.dw = r->dw;
    r->q.first = r->first;
    return VSQ_OK;
}

static void progress_line(size_t done, size_t total) {
    (void)done, (void)total;
}

/* Calibrate the static rows together, then evaluate every row. */
static vsq_status run_table(cnn_model *m, const cnn_dataset *d, sweep_table *t, int threads,
                            int calib, const char *name) {
    vsq_status st = VSQ_OK;
    cnn_qcfg **qs = malloc((size_t)t->n * sizeof *qs);
    if (!qs) return vsq_error(VSQ_ENOMEM, "sweep: no memory");
    int nq = 0;
    for (int i = 0; i < t->n && !st; i++) {
        st = setup_row(&t->rows[i]);
        if (!st && t->rows[i].q.a_static) qs[nq++] = &t->rows[i].q;
    }
    if (!st && nq) {
        fprintf(stderr, "%s: calibrating %d configurations on %d images\n", name, nq, calib);
        st = cnn_calibrate_many(m, qs, nq, d, 0, calib, threads, progress_line);
    }
    free(qs);
    for (int i = 0; i < t->n && !st; i++) {
        sweep_row *r = &t->rows[i];
        if (!(st = cnn_quantize_weights(m, &r->q)))
            st = cnn_evaluate(m, &r->q, d, calib, d->n, threads, &r->r, progress_line);
        fprintf(stderr, "%s [%d/%d] %-10s %-6s w=%-22s a=%-26s top1 %6.2f top5 %6.2f (%.0f s)\n", name,
                i + 1, t->n, r->group, r->column, r->w[0] ? r->w : "fp32", r->a[0] ? r->a : "fp32",
                r->r.top1, r->r.top5, r->r.seconds);
    }
    cnn_clear_weights(m);
    return st;
}

/* Scale field of the paper's W/A/ws/as notation: "-" for per-channel /
 * per-tensor, M for two-level; 0 when the hardware model has no such PE
 * (single-level fp32/fp16/e8m0 vector scales). */
static int scale_field(const vsq_format *f, char *buf, size_t n) {
    if (f->gran != VSQ_GRAN_VECTOR) return snprintf(buf, n, "-"), 1;
    if (f->scale != VSQ_SCALE_TWO_LEVEL) return 0;
    return snprintf(buf, n, "%d", f->scale_bits), 1;
}

/* "cfg" and "v" columns for `vsq dse` (docs/hardware.md 3): e.g. 6/4U/4/6;
 * empty where the configuration is not a W/A/ws/as design (dse skips it). */
static void row_cfg(const sweep_row *r, char *cfg, size_t n, int *v) {
    char ws[8], as[8];
    const vsq_format *w = &r->q.w, *a = &r->q.a;
    cfg[0] = '\0';
    *v = w->gran == VSQ_GRAN_VECTOR ? w->vec_len : a->gran == VSQ_GRAN_VECTOR ? a->vec_len : 16;
    if (!r->q.quant_w || !r->q.quant_a || !scale_field(w, ws, sizeof ws) || !scale_field(a, as, sizeof as))
        return;
    snprintf(cfg, n, "%d/%d%s/%s/%s", w->bits, a->bits, a->elem == VSQ_ELEM_UINT ? "U" : "", ws, as);
}

/* Markdown grid (rows = groups, columns = column labels) + CSV + JSON. */
static vsq_status write_table(const sweep_table *t, const char *dir, const char *name,
                              const char *title, int calib, int n, const cnn_result *base, const char *desc) {
    size_t cap = 65536 + (size_t)t->n * 512;
    char *md = malloc(cap), *csv = malloc(cap), *js = malloc(cap);
    if (!md || !csv || !js) { free(md); free(csv); free(js); return vsq_error(VSQ_ENOMEM, "sweep: no memory"); }
    size_t lm = 0, lc = 0, lj = 0;
    lm += snprintf(md + lm, cap - lm,
                   "# %s\n\n%s, top-1 %% on images %d..%d (calibration: images 0..%d); "
                   "fp32 on the same images: top-1 %.2f, top-5 %.2f.\n\n| |",
                   title, desc, calib, n - 1, calib - 1, base->top1, base->top5);
    char cols[32][48];
    int nc = 0;
    for (int i = 0; i < t->n; i++) {
        int seen = 0;
        for (int c = 0; c < nc; c++) seen |= !strcmp(cols[c], t->rows[i].column);
        if (!seen && nc < 32) snprintf(cols[nc++], 48, "%s", t->rows[i].column);
    }
    for (int c = 0; c < nc; c++) lm += snprintf(md + lm, cap - lm, " %s |", cols[c]);
    lm += snprintf(md + lm, cap - lm, "\n|---|");
    for (int c = 0; c < nc; c++) lm += snprintf(md + lm, cap - lm, "---:|");
    lm += snprintf(md + lm, cap - lm, "\n");
    for (int i = 0; i < t->n; i++) {
        int first = 1;
        for (int j = 0; j < i; j++) first &= strcmp(t->rows[j].group, t->rows[i].group) != 0;
        if (!first) continue;
        lm += snprintf(md + lm, cap - lm, "| %s |", t->rows[i].group);
        for (int c = 0; c < nc; c++) {
            const sweep_row *hit = NULL;
            for (int j = 0; j < t->n; j++)
                if (!strcmp(t->rows[j].group, t->rows[i].group) && !strcmp(t->rows[j].column, cols[c])) hit = &t->rows[j];
            lm += hit ? snprintf(md + lm, cap - lm, " %.2f |", hit->r.top1) : snprintf(md + lm, cap - lm, " |");
        }
        lm += snprintf(md + lm, cap - lm, "\n");
    }
    lc += snprintf(csv + lc, cap - lc, "group,column,cfg,v,w,a,dw,first,n,top1,top5,images_per_s\n");
    lj += snprintf(js + lj, cap - lj,
                   "{\"table\": \"%s\", \"model\": \"%s\", \"calib_images\": %d, \"first_image\": %d, \"end_image\": %d, "
                   "\"fp32_top1\": %.4f, \"fp32_top5\": %.4f, \"rows\": [\n",
                   name, desc, calib, calib, n, base->top1, base->top5);
    for (int i = 0; i < t->n; i++) {
        const sweep_row *r = &t->rows[i];
        const char *dw = r->dw == CNN_DW_WINDOW ? "window" : "channel";
        const char *fi = r->first == CNN_FIRST_FLAT ? "flat" : r->first == CNN_FIRST_PIXEL ? "pixel" : "fp32";
        char cfg[32], group[48];
        int v;
        row_cfg(r, cfg, sizeof cfg, &v);
        snprintf(group, sizeof group, "%s", r->group); /* the CSV has no quoting: ',' -> ';' */
        for (char *c = group; *c; c++) *c = *c == ',' ? ';' : *c;
        lc += snprintf(csv + lc, cap - lc, "%s,%s,%s,%d,%s,%s,%s,%s,%d,%.4f,%.4f,%.2f\n", group, r->column,
                       cfg, v, r->w[0] ? r->w : "fp32", r->a[0] ? r->a : "fp32", dw, fi, r->r.n, r->r.top1, r->r.top5,
                       r->r.images_per_s);
        lj += snprintf(js + lj, cap - lj,
                       "  {\"group\": \"%s\", \"column\": \"%s\", \"cfg\": \"%s\", \"v\": %d, \"w\": \"%s\", \"a\": \"%s\", \"dw\": \"%s\", "
                       "\"first\": \"%s\", \"n\": %d, \"top1\": %.4f, \"top5\": %.4f}%s\n",
                       r->group, r->column, cfg, v, r->w[0] ? r->w : "fp32", r->a[0] ? r->a : "fp32", dw, fi,
                       r->r.n, r->r.top1, r->r.top5, i + 1 < t->n ? "," : "");
    }
    lj += snprintf(js + lj, cap - lj, "]}\n");
    char path[4096];
    vsq_status st;
    snprintf(path, sizeof path, "%s/cnn_%s.md", dir, name);
    st = vsq_write_atomic(path, md, lm);
    snprintf(path, sizeof path, "%s/cnn_%s.csv", dir, name);
    if (!st) st = vsq_write_atomic(path, csv, lc);
    snprintf(path, sizeof path, "%s/cnn_%s.json", dir, name);
    if (!st) st = vsq_write_atomic(path, js, lj);
    if (!st) fputs(md, stdout);
    free(md), free(csv), free(js);
    return st;
}

static const int bits4[4] = {3, 4, 6, 8};

static vsq_status build_table2(sweep_table *t) {
    static const char *cal[] = {"max", "entropy", "p99.9", "p99.99", "p99.999", "p99.9999", "mse", "octav"};
    vsq_status st = VSQ_OK;
    char col[16], w[64], a[64];
    for (int c = 0; c < 8 && !st; c++)
        for (int b = 0; b < 4 && !st; b++) {
            snprintf(col, sizeof col, "%d/%dU", bits4[b], bits4[b]);
            snprintf(w, sizeof w, "int%d:pc", bits4[b]);
            snprintf(a, sizeof a, "uint%d:pt:fp32:%s", bits4[b], cal[c]);
            st = add_row(t, cal[c], col, w, a);
        }
    return st;
}

static vsq_status build_table3(sweep_table *t) {
    static const char *cal[] = {"max", "p99.99"};
    vsq_status st = VSQ_OK;
    char col[16], w[64], a[64], g[48];
    for (int b = 0; b < 4 && !st; b++) {
        snprintf(col, sizeof col, "%d/%dU", bits4[b], bits4[b]);
        snprintf(w, sizeof w, "int%d:v16", bits4[b]);
        snprintf(a, sizeof a, "uint%d:v16", bits4[b]);
        st = add_row(t, "per-vector V=16", col, w, a);
        for (int c = 0; c < 2 && !st; c++) {
            snprintf(g, sizeof g, "per-channel %s", cal[c]);
            snprintf(w, sizeof w, "int%d:pc", bits4[b]);
            snprintf(a, sizeof a, "uint%d:pt:fp32:%s", bits4[b], cal[c]);
            st = add_row(t, g, col, w, a);
        }
    }
    return st;
}

static vsq_status build_table4(sweep_table *t) {
    static const int vs[] = {1, 2, 4, 8, 16, 32, 64}, bits[] = {6, 4};
    vsq_status st = VSQ_OK;
    char col[16], w[64], a[64], g[48];
    for (int v = 0; v < 7 && !st; v++)
        for (int b = 0; b < 2 && !st; b++) {
            snprintf(g, sizeof g, "V=%d", vs[v]);
            snprintf(col, sizeof col, "%d/%dU", bits[b], bits[b]);
            snprintf(w, sizeof w, "int%d:v%d", bits[b], vs[v]);
            snprintf(a, sizeof a, "uint%d:v%d", bits[b], vs[v]);
            st = add_row(t, g, col, w, a);
        }
    return st;
}

static vsq_status build_table5(sweep_table *t) {
    static const int ws[] = {4, 6, 8}, as[] = {3, 4, 6, 8}, s[6][2] = {{3, 4}, {3, 6}, {4, 4}, {4, 6}, {6, 4}, {6, 6}};
    vsq_status st = VSQ_OK;
    char col[16], w[64], a[64], g[48];
    for (int i = 0; i < 3 && !st; i++)
        for (int j = 0; j < 4 && !st; j++) {
            snprintf(col, sizeof col, "%d/%dU", ws[i], as[j]);
            for (int k = 0; k < 6 && !st; k++) {
                snprintf(g, sizeof g, "S=%d/%d", s[k][0], s[k][1]);
                snprintf(w, sizeof w, "int%d:v16:s%d", ws[i], s[k][0]);
                snprintf(a, sizeof a, "uint%d:v16:s%d", as[j], s[k][1]);
                st = add_row(t, g, col, w, a);
            }
            snprintf(w, sizeof w, "int%d:v16", ws[i]);
            snprintf(a, sizeof a, "uint%d:v16", as[j]);
            if (!st) st = add_row(t, "fp32 scales", col, w, a);
            snprintf(w, sizeof w, "int%d:pc", ws[i]);
            snprintf(a, sizeof a, "uint%d:pt:fp32:max", as[j]);
            if (!st) st = add_row(t, "per-channel max", col, w, a);
        }
    return st;
}

/* Depthwise and first-layer alternatives, per-vector V=16 at 8/6/4 bits. */
static vsq_status build_variants(sweep_table *t) {
    static const int bits[] = {8, 6, 4};
    static const char *names[] = {"dw window, first flat", "dw channel, first flat", "dw window, first pixel",
                                  "dw window, first fp32"};
    vsq_status st = VSQ_OK;
    char col[16], w[64], a[64];
    for (int v = 0; v < 4 && !st; v++)
        for (int b = 0; b < 3 && !st; b++) {
            snprintf(col, sizeof col, "%d/%dU", bits[b], bits[b]);
            snprintf(w, sizeof w, "int%d:v16", bits[b]);
            snprintf(a, sizeof a, "uint%d:v16", bits[b]);
            if ((st = add_row(t, names[v], col, w, a))) break;
            t->rows[t->n - 1].dw = v == 1 ? CNN_DW_CHANNEL : CNN_DW_WINDOW;
            t->rows[t->n - 1].first = v == 2 ? CNN_FIRST_PIXEL : v == 3 ? CNN_FIRST_FP32 : CNN_FIRST_FLAT;
        }
    return st;
}

typedef struct {
    const char *name, *title;
    vsq_status (*build)(sweep_table *);
} table_def;

static const table_def tables[] = {
    {"table2", "Table 2 analogue: per-channel weights, per-tensor activations, calibrators", build_table2},
    {"table3", "Table 3 analogue: per-vector (V=16, fp32 scales, dynamic activations) vs per-channel", build_table3},
    {"table4", "Table 4 analogue: vector size V at 6 and 4 bits", build_table4},
    {"table5", "Table 5 analogue: two-level integer scales (S = ws/as bits), V=16", build_table5},
    {"variants", "Depthwise / first-layer vector choices (per-vector V=16)", build_variants},
};

int cnn_sweep(cnn_model *m, const cnn_dataset *d, const char *name, const char *dir, int threads,
              int calib, const char *desc) {
    if (calib >= d->n) return vsq_error(VSQ_EINVAL, "sweep: %d calibration images leave none of %d to evaluate", calib, d->n);
    int found = 0;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) found |= !strcmp(name, "all") || !strcmp(name, tables[i].name);
    if (!found) return vsq_error(VSQ_EINVAL, "unknown sweep '%s' (table2|table3|table4|table5|variants|all)", name);
    cnn_result base; /* fp32 on the evaluation images: the tables' baseline */
    vsq_status st = cnn_evaluate(m, NULL, d, calib, d->n, threads, &base, progress_line);
    if (!st) fprintf(stderr, "fp32 on images %d..%d: top1 %.2f top5 %.2f\n", calib, d->n - 1, base.top1, base.top5);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0] && !st; i++) {
        if (strcmp(name, "all") && strcmp(name, tables[i].name)) continue;
        sweep_table t = {0};
        st = tables[i].build(&t);
        if (!st) st = run_table(m, d, &t, threads, calib, tables[i].name);
        if (!st) st = write_table(&t, dir, tables[i].name, tables[i].title, calib, d->n, &base, desc);
        for (int j = 0; j < t.n; j++) cnn_qcfg_free(&t.rows[j].q);
        free(t.rows);
    }
    return st;
}
