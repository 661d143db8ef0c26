/* hw/pareto.c - design-space exploration (paper 6): read sweep results
 * (CSV or JSON, format in docs/hardware.md), sort points into accuracy
 * bands relative to the fp32 baseline, and mark the Pareto-optimal designs
 * of each band: lowest energy per operation, highest performance per area.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hw/hw.h"

static vsq_status push(vsq_dse_set *s, const vsq_dse_point *p) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 32;
        vsq_dse_point *np = realloc(s->p, cap * sizeof *np);
        if (!np) return vsq_error(VSQ_ENOMEM, "dse: out of memory");
        s->p = np;
        s->cap = cap;
    }
    s->p[s->n++] = *p;
    return VSQ_OK;
}

void vsq_dse_free(vsq_dse_set *s) {
    free(s->p);
    memset(s, 0, sizeof *s);
}

/* The metric kind must agree across all files of one run. */
static vsq_status set_kind(vsq_dse_set *s, int lower_better, const char *path) {
    const char *name = lower_better ? "ppl" : "top1";
    if (s->metric_name[0] && strcmp(s->metric_name, name) != 0)
        return vsq_error(VSQ_EFORMAT, "%s: metric '%s' but earlier files use '%s'", path, name,
                         s->metric_name);
    strcpy(s->metric_name, name);
    s->lower_better = lower_better;
    return VSQ_OK;
}

/* Validate and append one row; NaN metrics (failed runs) and rows with an
 * empty cfg (not expressible as W/A/ws/as) are skipped. */
static vsq_status add_row(vsq_dse_set *s, const char *path, long row, const char *cfg,
                          const char *metric, const char *model, const char *v) {
    vsq_dse_point p;
    memset(&p, 0, sizeof p);
    vsq_hw_cfg c;
    if (!cfg) return vsq_error(VSQ_EFORMAT, "%s:%ld: missing cfg", path, row);
    if (!*cfg) return VSQ_OK; /* a format the PE cannot run (e.g. fp16 scales): skipped */
    if (vsq_hw_cfg_parse(cfg, 16, 0, &c) != VSQ_OK)
        return vsq_error(VSQ_EFORMAT, "%s:%ld: bad cfg '%s' (want W/A/ws/as)", path, row, cfg);
    char *end;
    p.metric = strtod(metric ? metric : "", &end);
    if (!metric || end == metric || *end)
        return vsq_error(VSQ_EFORMAT, "%s:%ld: bad metric value '%s'", path, row,
                         metric ? metric : "");
    if (isnan(p.metric)) return VSQ_OK;
    if (!isfinite(p.metric))
        return vsq_error(VSQ_EFORMAT, "%s:%ld: infinite metric value", path, row);
    if (v && *v) {
        long vv = strtol(v, &end, 10);
        if (*end || vv < 1 || vv > 4096)
            return vsq_error(VSQ_EFORMAT, "%s:%ld: bad v '%s'", path, row, v);
        p.v = (int)vv;
    }
    snprintf(p.cfg, sizeof p.cfg, "%s", cfg);
    snprintf(p.model, sizeof p.model, "%s", model ? model : "");
    p.lower_better = s->lower_better;
    p.band = -1;
    return push(s, &p);
}

/* ---- CSV: header row, comma separated, optional double quotes ---- */

static void trim(char *f) {
    size_t n = strlen(f);
    while (n && isspace((unsigned char)f[n - 1])) f[--n] = 0;
    char *b = f;
    while (isspace((unsigned char)*b)) b++;
    if (*b == '"' && n > 1 && f[n - 1] == '"') { b++; f[n - 1] = 0; }
    memmove(f, b, strlen(b) + 1);
}

static int split_csv(char *line, char **f, int max) {
    int n = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    for (int i = 0; i < n; i++) trim(f[i]);
    return n;
}

static int col_index(char **h, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(h[i], name)) return i;
    return -1;
}

static vsq_status load_csv(const char *path, const char *text, vsq_dse_set *s) {
    enum { MAXF = 64 };
    size_t len = strlen(text);
    char *buf = malloc(len + 1), *hdr[MAXF], *f[MAXF], *next = buf;
    if (!buf) return vsq_error(VSQ_ENOMEM, "dse: out of memory");
    memcpy(buf, text, len + 1);
    vsq_status st = VSQ_OK;
    int nh = 0, ic = -1, im = -1, imodel = -1, iv = -1;
    long row = 0;
    while (next && st == VSQ_OK) {
        char *line = next, *nl = strchr(line, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl) *nl = 0;
        row++;
        line[strcspn(line, "\r")] = 0;
        if (!*line || *line == '#') continue;
        if (nh == 0) {
            nh = split_csv(line, hdr, MAXF);
            ic = col_index(hdr, nh, "cfg");
            int it = col_index(hdr, nh, "top1"), ip = col_index(hdr, nh, "ppl");
            im = it >= 0 ? it : ip;
            imodel = col_index(hdr, nh, "model");
            iv = col_index(hdr, nh, "v");
            if (ic < 0 || im < 0)
                st = vsq_error(VSQ_EFORMAT, "%s: CSV header needs 'cfg' and 'top1' or 'ppl'",
                               path);
            else
                st = set_kind(s, it < 0, path);
            continue;
        }
        int n = split_csv(line, f, MAXF);
        if (n != nh) {
            st = vsq_error(VSQ_EFORMAT, "%s:%ld: %d fields, header has %d", path, row, n, nh);
            break;
        }
        st = add_row(s, path, row, f[ic], f[im], imodel >= 0 ? f[imodel] : NULL,
                     iv >= 0 ? f[iv] : NULL);
    }
    if (st == VSQ_OK && nh == 0) st = vsq_error(VSQ_EFORMAT, "%s: empty results file", path);
    free(buf);
    return st;
}

/* ---- JSON: an array of objects, or {"results": [...]} ---- */

static const char *json_text(const cJSON *o, const char *key, char *tmp, size_t size) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(it)) return it->valuestring;
    if (cJSON_IsNumber(it)) {
        snprintf(tmp, size, "%.17g", it->valuedouble);
        return tmp;
    }
    if (cJSON_IsNull(it)) return "nan";
    return NULL;
}

static vsq_status load_json(const char *path, const char *text, vsq_dse_set *s) {
    cJSON *root = cJSON_Parse(text);
    if (!root) return vsq_error(VSQ_EFORMAT, "%s: malformed JSON", path);
    const cJSON *arr = cJSON_IsArray(root) ? root
                                           : cJSON_GetObjectItemCaseSensitive(root, "results");
    vsq_status st = VSQ_OK;
    if (!cJSON_IsArray(arr)) {
        st = vsq_error(VSQ_EFORMAT, "%s: expected an array of result objects", path);
    }
    long row = 0;
    const cJSON *o;
    int kind = -1;
    if (st != VSQ_OK) arr = NULL;
    cJSON_ArrayForEach(o, arr) {
        row++;
        char t1[40], t2[40], t3[40], t4[64], t5[40];
        if (!cJSON_IsObject(o)) {
            st = vsq_error(VSQ_EFORMAT, "%s: entry %ld is not an object", path, row);
            break;
        }
        const char *top1 = json_text(o, "top1", t1, sizeof t1);
        const char *ppl = json_text(o, "ppl", t2, sizeof t2);
        if (!top1 && !ppl) {
            st = vsq_error(VSQ_EFORMAT, "%s: entry %ld has neither 'top1' nor 'ppl'", path, row);
            break;
        }
        int lower = top1 ? 0 : 1;
        if (kind < 0 && (st = set_kind(s, lower, path)) != VSQ_OK) break;
        if (kind >= 0 && kind != lower) {
            st = vsq_error(VSQ_EFORMAT, "%s: entry %ld mixes 'top1' and 'ppl'", path, row);
            break;
        }
        kind = lower;
        st = add_row(s, path, row, json_text(o, "cfg", t3, sizeof t3), top1 ? top1 : ppl,
                     json_text(o, "model", t4, sizeof t4), json_text(o, "v", t5, sizeof t5));
        if (st != VSQ_OK) break;
    }
    cJSON_Delete(root);
    return st;
}

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - 1 - n, f);
        if (n < cap - 1) break;
        char *nb = realloc(b, cap *= 2);
        if (!nb) { free(b); b = NULL; }
        else b = nb;
    }
    if (b) b[n] = 0;
    if (ferror(f)) { free(b); b = NULL; }
    fclose(f);
    return b;
}

vsq_status vsq_dse_load(const char *path, vsq_dse_set *s) {
    char *text = read_all(path);
    if (!text) return vsq_error(VSQ_EIO, "%s: cannot read results file", path);
    if (strlen(text) == 0) {
        free(text);
        return vsq_error(VSQ_EFORMAT, "%s: empty results file", path);
    }
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    vsq_status st = (*p == '[' || *p == '{') ? load_json(path, text, s) : load_csv(path, text, s);
    free(text);
    return st;
}

/* loss in % of the baseline: positive = worse than baseline */
static double loss_pct(const vsq_dse_point *p, double baseline) {
    double d = p->lower_better ? p->metric - baseline : baseline - p->metric;
    return 100.0 * d / fabs(baseline);
}

void vsq_dse_bands(vsq_dse_set *s, double baseline, const double *edges, int n_edges,
                   int relative) {
    for (size_t i = 0; i < s->n; i++) {
        vsq_dse_point *p = &s->p[i];
        double l = relative ? loss_pct(p, baseline)
                            : (p->lower_better ? p->metric - baseline : baseline - p->metric);
        p->band = -1;
        for (int b = 0; b < n_edges; b++) {
            if (l <= edges[b]) {
                p->band = b;
                break;
            }
        }
    }
}

/* q dominates p: no worse on both axes, better on one (paper 6). */
static int dominates(const vsq_dse_point *q, const vsq_dse_point *p) {
    double qe = q->cost.energy_rel, pe = p->cost.energy_rel;
    double qa = q->cost.perf_per_area_rel, pa = p->cost.perf_per_area_rel;
    return qe <= pe && qa >= pa && (qe < pe || qa > pa);
}

void vsq_dse_pareto(vsq_dse_set *s) {
    for (size_t i = 0; i < s->n; i++) {
        vsq_dse_point *p = &s->p[i];
        p->pareto = p->band >= 0;
        for (size_t j = 0; j < s->n && p->pareto; j++) {
            const vsq_dse_point *q = &s->p[j];
            if (j != i && q->band == p->band && !strcmp(q->model, p->model) && dominates(q, p))
                p->pareto = 0;
        }
    }
}
