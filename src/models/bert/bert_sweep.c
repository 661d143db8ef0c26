/* The paper's BERT tables for this encoder and task (vsq eval-probe
 * --sweep). Every row is a weight x activation format pair, evaluated on
 * the test sentences of the task with the fp32-trained probe.
 *
 *   table2   per-channel weights (max) x per-tensor static activations, one
 *            row per calibrator, W/A 3/8, 4/8, 6/8, 8/8 (paper Table 2;
 *            3/8 added so that Table 3's best per-channel is defined)
 *   table3   per-vector V=16 fp32 scales (weights static max, activations
 *            dynamic max) vs the best per-channel row of table2 (Table 3)
 *   table67  two-level V=16 integer scales, W in {3,4,6,8} x A in {4,6,8}
 *            x ws/as in {4/4, 4/6, 6/6, 6/10, 8/8}, with the fp32-scale
 *            column and the best per-channel column (Tables 6-7); for A=8
 *            that is table2's best, for A=4/6 the better of the max and mse
 *            calibrators, run here.
 * "Best" is chosen on the evaluation sentences themselves, as in the
 * paper: an upper bound for per-channel scaling.
 * Static activation clip values are calibrated on `calib` train sentences
 * (the first ones), all formats in one fp32 pass. */
#include "models/bert/bert_task.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char table[16], group[48], column[48];
    char w[48], a[48];  /* "" = fp32 */
    int best_of;        /* 1: not run; the best table2/pc row of the same column */
    char best_table[16];
    char best_group[48]; /* which row was best */
    float *alpha;       /* static activations */
    bert_result r;
    double bpw;
    int done;
} row;

typedef struct {
    row *r;
    int n, cap;
} rows;

/* A growing text buffer. */
typedef struct {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

static void sb(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb(sbuf *b, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0 || b->oom) return;
        if (b->s && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = (b->cap + (size_t)k + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s, b->cap = cap;
    }
}

static row *add(rows *t, const char *table, const char *group, const char *column, const char *w,
                const char *a) {
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 128;
        row *r = realloc(t->r, (size_t)cap * sizeof *r);
        if (!r) return NULL;
        t->r = r, t->cap = cap;
    }
    row *r = &t->r[t->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->table, sizeof r->table, "%s", table);
    snprintf(r->group, sizeof r->group, "%s", group);
    snprintf(r->column, sizeof r->column, "%s", column);
    snprintf(r->w, sizeof r->w, "%s", w);
    snprintf(r->a, sizeof r->a, "%s", a);
    return r;
}

static row *add_best(rows *t, const char *table, const char *group, const char *column,
                     const char *from) {
    row *r = add(t, table, group, column, "", "");
    if (r) {
        r->best_of = 1;
        snprintf(r->best_table, sizeof r->best_table, "%s", from);
    }
    return r;
}

static const char *const CAL2[] = {"max", "p99.9", "p99.99", "p99.999", "entropy", "mse", "octav"};
static const char *const CAL_LOWA[] = {"max", "mse"};
static const int WBITS[] = {3, 4, 6, 8};
static const int ABITS[] = {4, 6, 8};
static const int SCALES[][2] = {{4, 4}, {4, 6}, {6, 6}, {6, 10}, {8, 8}};

/* "key": a few rows that answer the paper's question, meant for the whole
 * test split when the full sweep is too long for the machine at hand;
 * the most telling first (the table is rewritten after every row). */
static const char *const KEY[][3] = {
    {"4/8/6/10 (two-level)", "int4:v16:s6", "int8:v16:s10"},
    {"8/8/-/- per-channel, max", "int8:pc", "int8:pt:fp32:max"},
    {"8/8/6/10 (two-level)", "int8:v16:s6", "int8:v16:s10"},
    {"4/8/-/- per-channel, mse", "int4:pc", "int8:pt:fp32:mse"},
    {"3/8/6/10 (two-level)", "int3:v16:s6", "int8:v16:s10"},
    {"4/8 per-vector fp32", "int4:v16", "int8:v16"},
    {"6/8/-/- per-channel, mse", "int6:pc", "int8:pt:fp32:mse"},
    {"8/8/-/- per-channel, mse", "int8:pc", "int8:pt:fp32:mse"},
};

static vsq_status build_key(rows *t) {
    for (size_t i = 0; i < sizeof KEY / sizeof KEY[0]; i++)
        if (!add(t, "key", KEY[i][0], "accuracy", KEY[i][1], KEY[i][2]))
            return vsq_error(VSQ_ENOMEM, "sweep: out of memory");
    return VSQ_OK;
}

/* The rows of the tables asked for (and the rows they depend on). */
static vsq_status build(rows *t, int want2, int want3, int want67) {
    char g[48], c[24], w[48], a[48];
    int ok = 1;
    if (want2 || want3 || want67)
        for (int k = 0; k < 7 && ok; k++)
            for (int i = 0; i < 4 && ok; i++) {
                snprintf(c, sizeof c, "%d/8", WBITS[i]);
                snprintf(w, sizeof w, "int%d:pc", WBITS[i]);
                snprintf(a, sizeof a, "int8:pt:fp32:%s", CAL2[k]);
                ok = add(t, "table2", CAL2[k], c, w, a) != NULL;
            }
    if (want3 || want67)
        for (int i = 0; i < 4 && ok; i++) {
            snprintf(c, sizeof c, "%d/8", WBITS[i]);
            snprintf(w, sizeof w, "int%d:v16", WBITS[i]);
            ok = add(t, "table3", "per-vector fp32 (V=16)", c, w, "int8:v16") &&
                 add_best(t, "table3", "best per-channel", c, "table2");
        }
    for (int i = 0; want67 && i < 4 && ok; i++)
        for (int j = 0; j < 3 && ok; j++) {
            snprintf(g, sizeof g, "%d/%d", WBITS[i], ABITS[j]);
            for (int s = 0; s < 5 && ok; s++) {
                snprintf(c, sizeof c, "S=%d/%d", SCALES[s][0], SCALES[s][1]);
                snprintf(w, sizeof w, "int%d:v16:s%d", WBITS[i], SCALES[s][0]);
                snprintf(a, sizeof a, "int%d:v16:s%d", ABITS[j], SCALES[s][1]);
                ok = add(t, "table67", g, c, w, a) != NULL;
            }
            snprintf(w, sizeof w, "int%d:v16", WBITS[i]);
            snprintf(a, sizeof a, "int%d:v16", ABITS[j]);
            if (ok) ok = add(t, "table67", g, "S=fp32", w, a) != NULL;
            for (int k = 0; ABITS[j] != 8 && k < 2 && ok; k++) {
                snprintf(w, sizeof w, "int%d:pc", WBITS[i]);
                snprintf(a, sizeof a, "int%d:pt:fp32:%s", ABITS[j], CAL_LOWA[k]);
                ok = add(t, "pc_lowa", CAL_LOWA[k], g, w, a) != NULL;
            }
            if (ok) ok = add_best(t, "table67", g, "best per-channel", ABITS[j] == 8 ? "table2" : "pc_lowa") != NULL;
        }
    return ok ? VSQ_OK : vsq_error(VSQ_ENOMEM, "sweep: out of memory");
}

/* Calibrate every static row in one fp32 pass over train sentences. */
/* Calibrate every distinct static activation format in one fp32 pass over
 * train sentences (rows sharing a format share its clip values). */
static vsq_status calibrate(bert_model *m, const bert_task *t, rows *tab, int calib) {
    int ns = 0, nl = bert_n_lin(m);
    vsq_format *f = malloc((size_t)tab->n * sizeof *f);
    float **alpha = calloc((size_t)tab->n, sizeof *alpha);
    int *first = malloc((size_t)tab->n * sizeof *first); /* a row using format k */
    vsq_status st = f && alpha && first ? VSQ_OK : vsq_error(VSQ_ENOMEM, "sweep: out of memory");
    for (int i = 0; !st && i < tab->n; i++) {
        const row *r = &tab->r[i];
        if (r->best_of || !r->a[0]) continue;
        vsq_format g;
        if ((st = vsq_format_parse(r->a, &g))) break;
        if (g.gran != VSQ_GRAN_TENSOR) continue;
        int seen = 0;
        for (int k = 0; k < ns && !seen; k++) seen = !strcmp(tab->r[first[k]].a, r->a);
        if (!seen) f[ns] = g, first[ns++] = i;
    }
    if (!st && ns) {
        int n = calib > 0 && calib < t->train.n ? calib : t->train.n;
        bert_ids sub = {n, t->train.ids, t->train.len};
        fprintf(stderr, "sweep: calibrating %d static activation formats on %d train sentences\n", ns, n);
        st = bert_calibrate_many(m, &sub, f, ns, alpha);
    }
    for (int i = 0; !st && i < tab->n; i++)
        for (int k = 0; k < ns; k++) {
            if (tab->r[i].best_of || strcmp(tab->r[i].a, tab->r[first[k]].a)) continue;
            tab->r[i].alpha = malloc((size_t)nl * sizeof(float));
            if (!tab->r[i].alpha) st = vsq_error(VSQ_ENOMEM, "sweep: out of memory");
            else memcpy(tab->r[i].alpha, alpha[k], (size_t)nl * sizeof(float));
        }
    for (int k = 0; k < ns; k++) free(alpha[k]);
    free(f), free(alpha), free(first);
    return st;
}

static vsq_status run_row(bert_model *m, const bert_task *t, row *r, int i, int n) {
    bert_quant_opts o = {r->w[0] ? r->w : NULL, r->a[0] ? r->a : NULL, NULL, 0, 0, NULL, 0, r->alpha};
    vsq_status st = bert_quantize(m, &o);
    if (!st) st = bert_task_eval(m, t, &r->r, NULL, NULL);
    bert_unquantize(m);
    if (st) return st;
    r->bpw = bert_bpw(m, r->w);
    r->done = 1;
    fprintf(stderr, "sweep [%3d/%d] %-8s %-24s %-16s w=%-14s a=%-22s acc %6.2f cos %.5f agree %6.2f (%.0f s)\n",
            i, n, r->table, r->group, r->column, r->w, r->a, r->r.accuracy, r->r.cosine,
            r->r.agreement, r->r.seconds);
    return VSQ_OK;
}

static void resolve_best(rows *tab) {
    for (int i = 0; i < tab->n; i++) {
        row *r = &tab->r[i];
        if (!r->best_of) continue;
        /* table3: same column ("4/8"); table67: the group is the W/A pair */
        const char *key = !strcmp(r->table, "table3") ? r->column : r->group;
        const row *best = NULL;
        for (int j = 0; j < tab->n; j++) {
            const row *s = &tab->r[j];
            if (!s->done || strcmp(s->table, r->best_table) || strcmp(s->column, key)) continue;
            if (!best || s->r.accuracy > best->r.accuracy) best = s;
        }
        if (!best) continue;
        r->r = best->r;
        r->bpw = best->bpw;
        snprintf(r->w, sizeof r->w, "%s", best->w);
        snprintf(r->a, sizeof r->a, "%s", best->a);
        snprintf(r->best_group, sizeof r->best_group, "%s", best->group);
        r->done = 1;
    }
}

/* W/A/ws/as of a row for vsq dse ("" when the PE cannot run it: float
 * per-vector scales). */
static void row_cfg(const row *r, char *cfg, size_t n) {
    vsq_format w, a;
    cfg[0] = 0;
    if (!r->w[0] || !r->a[0] || vsq_format_parse(r->w, &w) || vsq_format_parse(r->a, &a)) return;
    char ws[8] = "-", as[8] = "-";
    if (w.gran == VSQ_GRAN_VECTOR) {
        if (w.scale != VSQ_SCALE_TWO_LEVEL) return;
        snprintf(ws, sizeof ws, "%d", w.scale_bits);
    }
    if (a.gran == VSQ_GRAN_VECTOR) {
        if (a.scale != VSQ_SCALE_TWO_LEVEL) return;
        snprintf(as, sizeof as, "%d", a.scale_bits);
    }
    snprintf(cfg, n, "%d/%d/%s/%s", w.bits, a.bits, ws, as);
}

static const char *table_title(const char *name) {
    if (!strcmp(name, "key"))
        return "Key rows: two-level VS-Quant vs per-channel on the whole test split";
    if (!strcmp(name, "table2"))
        return "Table 2 analogue: per-channel weights, per-tensor static activations, calibrators";
    if (!strcmp(name, "table3"))
        return "Table 3 analogue: per-vector fp32 scales (V=16) vs best per-channel";
    return "Tables 6-7 analogue: two-level integer per-vector scales (V=16, S = ws/as bits)";
}

/* Markdown grid: rows = groups, columns = column labels (first-seen order). */
static void markdown(sbuf *md, const rows *tab, const char *name, const bert_task *t,
                     const char *header) {
    double lo, hi;
    bert_wilson95(t->correct32, t->test.n, &lo, &hi);
    sb(md, "# %s\n\n", table_title(name));
    if (header) sb(md, "%s\n\n", header);
    sb(md, "Probe accuracy (%%) on %d test sentences; fp32 encoder: **%.2f %%** (Wilson 95 %% CI "
           "%.2f-%.2f). Cells: accuracy, and in brackets the agreement (%%) of the predictions "
           "with fp32's and the mean cosine between quantized and fp32 test embeddings.\n\n| |", t->test.n, 100.0 * t->correct32 / t->test.n, lo, hi);
    char cols[16][48];
    int nc = 0;
    for (int i = 0; i < tab->n; i++) {
        if (strcmp(tab->r[i].table, name)) continue;
        int seen = 0;
        for (int c = 0; c < nc; c++) seen |= !strcmp(cols[c], tab->r[i].column);
        if (!seen && nc < 16) snprintf(cols[nc++], 48, "%s", tab->r[i].column);
    }
    for (int c = 0; c < nc; c++) sb(md, " %s |", cols[c]);
    sb(md, "\n|---|");
    for (int c = 0; c < nc; c++) sb(md, "---:|");
    sb(md, "\n");
    for (int i = 0; i < tab->n; i++) {
        const row *r = &tab->r[i];
        int first = !strcmp(r->table, name);
        for (int j = 0; first && j < i; j++) first = strcmp(tab->r[j].table, name) || strcmp(tab->r[j].group, r->group);
        if (!first) continue;
        sb(md, "| %s |", r->group);
        for (int c = 0; c < nc; c++) {
            const row *hit = NULL;
            for (int j = 0; j < tab->n; j++)
                if (!strcmp(tab->r[j].table, name) && !strcmp(tab->r[j].group, r->group) &&
                    !strcmp(tab->r[j].column, cols[c]))
                    hit = &tab->r[j];
            if (!hit || !hit->done) sb(md, " |");
            else if (hit->best_of)
                sb(md, " %.2f (%.1f; %.4f) %s |", hit->r.accuracy, hit->r.agreement, hit->r.cosine, hit->best_group);
            else sb(md, " %.2f (%.1f; %.4f) |", hit->r.accuracy, hit->r.agreement, hit->r.cosine);
        }
        sb(md, "\n");
    }
}

static void csv_json(sbuf *csv, sbuf *js, const rows *tab, const char *name, const bert_task *t) {
    sb(csv, "# top1 = linear-probe accuracy (%%) on %d sentence-polarity test sentences\n", t->test.n);
    sb(csv, "model,table,group,column,cfg,v,w,a,bpw,n,top1,ci_lo,ci_hi,cosine,agreement,sent_per_s\n");
    sb(js, "{\"table\": \"%s\", \"model\": \"all-MiniLM-L6-v2\", \"task\": \"sentence-polarity probe\", "
           "\"n\": %d, \"fp32_accuracy\": %.4f, \"lambda\": %g, \"rows\": [\n",
       name, t->test.n, 100.0 * t->correct32 / t->test.n, t->lambda);
    int first = 1;
    for (int i = 0; i < tab->n; i++) {
        const row *r = &tab->r[i];
        if (strcmp(r->table, name) || !r->done) continue;
        char cfg[32], group[48];
        row_cfg(r, cfg, sizeof cfg);
        if (r->best_of) cfg[0] = 0; /* a duplicate of a table2 row: dse would count it twice */
        snprintf(group, sizeof group, "%s", r->group);
        for (char *p = group; *p; p++) *p = *p == ',' ? ';' : *p;
        sb(csv, "all-minilm-l6-v2,%s,%s,%s,%s,16,%s,%s,%.4f,%d,%.4f,%.4f,%.4f,%.6f,%.4f,%.2f\n", r->table,
           group, r->column, cfg, r->w[0] ? r->w : "fp32", r->a[0] ? r->a : "fp32", r->bpw, r->r.n,
           r->r.accuracy, r->r.ci_lo, r->r.ci_hi, r->r.cosine, r->r.agreement, r->r.sent_per_s);
        sb(js, "%s  {\"group\": \"%s\", \"column\": \"%s\", \"cfg\": \"%s\", \"w\": \"%s\", \"a\": \"%s\", "
               "\"best_of\": \"%s\", \"bpw\": %.4f, \"n\": %d, \"accuracy\": %.4f, \"ci_lo\": %.4f, "
               "\"ci_hi\": %.4f, \"cosine\": %.6f, \"agreement\": %.4f}",
           first ? "" : ",\n", r->group, r->column, cfg, r->w[0] ? r->w : "fp32",
           r->a[0] ? r->a : "fp32", r->best_of ? r->best_group : "", r->bpw, r->r.n, r->r.accuracy,
           r->r.ci_lo, r->r.ci_hi, r->r.cosine, r->r.agreement);
        first = 0;
    }
    sb(js, "\n]}\n");
}

static vsq_status write_table(const rows *tab, const char *name, const char *dir,
                              const bert_task *t, const char *header, int print) {
    sbuf md = {0}, csv = {0}, js = {0};
    markdown(&md, tab, name, t, header);
    csv_json(&csv, &js, tab, name, t);
    vsq_status st = md.oom || csv.oom || js.oom ? vsq_error(VSQ_ENOMEM, "sweep: out of memory") : VSQ_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/bert_%s.md", dir, name);
    if (!st) st = vsq_write_atomic(path, md.s, md.n);
    snprintf(path, sizeof path, "%s/bert_%s.csv", dir, name);
    if (!st) st = vsq_write_atomic(path, csv.s, csv.n);
    snprintf(path, sizeof path, "%s/bert_%s.json", dir, name);
    if (!st) st = vsq_write_atomic(path, js.s, js.n);
    if (!st && print) fputs(md.s, stdout);
    free(md.s), free(csv.s), free(js.s);
    return st;
}

vsq_status bert_sweep(bert_model *m, const bert_task *t, const char *name, const char *dir,
                      const char *header, int calib) {
    int w2 = !strcmp(name, "table2"), w3 = !strcmp(name, "table3"), w67 = !strcmp(name, "table67");
    int wk = !strcmp(name, "key");
    if (!strcmp(name, "all")) w2 = w3 = w67 = 1;
    if (!w2 && !w3 && !w67 && !wk)
        return vsq_error(VSQ_EINVAL, "unknown sweep '%s' (table2|table3|table67|all|key)", name);
    rows tab = {0};
    vsq_status st = wk ? build_key(&tab) : build(&tab, w2, w3, w67);
    if (!st) st = calibrate(m, t, &tab, calib);
    int todo = 0, k = 0;
    for (int i = 0; i < tab.n; i++) todo += !tab.r[i].best_of;
    const char *names[] = {"table2", "table3", "table67", "key"};
    int want[] = {w2, w3, w67, wk};
    /* the tables are rewritten after every row: an interrupted sweep
     * leaves every finished row on disk */
    for (int i = 0; !st && i < tab.n; i++) {
        row *r = &tab.r[i];
        if (r->best_of) continue;
        const row *same = NULL; /* the same formats in an earlier table */
        for (int j = 0; j < i && !same; j++)
            if (tab.r[j].done && !tab.r[j].best_of && !strcmp(tab.r[j].w, r->w) && !strcmp(tab.r[j].a, r->a))
                same = &tab.r[j];
        if (same) {
            r->r = same->r, r->bpw = same->bpw, r->done = 1, ++k;
            continue;
        }
        st = run_row(m, t, r, ++k, todo);
        if (!st) resolve_best(&tab);
        for (int j = 0; !st && j < 4; j++)
            if (want[j]) st = write_table(&tab, names[j], dir, t, header, 0);
    }
    if (!st) resolve_best(&tab);
    for (int i = 0; !st && i < 4; i++)
        if (want[i]) st = write_table(&tab, names[i], dir, t, header, 1);
    for (int i = 0; i < tab.n; i++) free(tab.r[i].alpha);
    free(tab.r);
    return st;
}
