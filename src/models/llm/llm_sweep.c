/* The format sweep of vsq eval-lm --sweep: an analogue of the paper's
 * Tables 6/7 (BERT) for this LLM, plus the block formats practitioners
 * compare against (Q4_0/Q8_0-style fp16 block scales, MX e8m0 scales).
 *
 * Main grid: W in {3,4,6,8} x A in {6,8,fp32} x scaling scheme:
 *   pc-best   per-channel weights, best of the max/mse/octav calibrators
 *             (chosen on the same text: an upper bound for that scheme);
 *             activations per token (one scale per row, the per-tensor
 *             scale of a single token)
 *   pv-fp32   per-vector V=16, fp32 scales, max calibration
 *   2L ws/as  per-vector V=16, two-level ws-bit weight / as-bit activation
 *             scale codes with an fp32 coarse scale per row (eq. 7)
 *   pv-fp16   per-vector V=16, fp16 scales
 * Every linear layer, classifier included, uses the weight format.
 *
 * Each CSV row also carries `cfg`, the paper's hardware notation W/A/ws/as
 * read by `vsq dse` (docs/hardware.md 3), and `v`; rows the vector-MAC PE
 * cannot run (float per-vector scales, fp32 tensors, int-f/uint elements,
 * a classifier in another format) get an empty cfg, which dse skips.
 */
#include "models/llm/llm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing text buffer for the CSV and Markdown outputs. */
typedef struct {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
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
        b->s = s;
        b->cap = cap;
    }
}

typedef struct {
    const char *label;
    char w[64], a[64], cls[64];
    double ppl, nll, bpw;
    size_t tokens;
} row;

typedef struct {
    llm_model *m;
    const int *tokens;
    size_t n_tokens;
    const llm_ppl_opts *o;
    sbuf csv;
    int done;
} sweep_ctx;

/* One side of a W/A/ws/as cfg: element bits, and the scale field ("-" for
 * per-channel / per-tensor, M for two-level per-vector). 0 if the format
 * is not expressible (per-vector float scales, non-symmetric elements). */
static int cfg_side(const char *spec, int *bits, char *scale, size_t size, int *v) {
    vsq_format f;
    if (!spec || !*spec || vsq_format_parse(spec, &f) || f.elem != VSQ_ELEM_INT) return 0;
    *bits = f.bits;
    if (f.gran != VSQ_GRAN_VECTOR) {
        snprintf(scale, size, "-");
        return 1;
    }
    if (f.scale != VSQ_SCALE_TWO_LEVEL) return 0;
    snprintf(scale, size, "%d", f.scale_bits);
    if (*v && *v != f.vec_len) return 0; /* one V per PE */
    *v = f.vec_len;
    return 1;
}

/* cfg and v columns of a row ("" when not expressible, see top). */
static void row_cfg(const row *r, char *cfg, size_t size, char *vcol, size_t vsize) {
    int wb, ab, v = 0;
    char ws[8], as[8];
    cfg[0] = vcol[0] = 0;
    if (r->cls[0] && strcmp(r->cls, r->w)) return;
    if (!cfg_side(r->w, &wb, ws, sizeof ws, &v) || !cfg_side(r->a, &ab, as, sizeof as, &v))
        return;
    snprintf(cfg, size, "%d/%d/%s/%s", wb, ab, ws, as);
    if (v) snprintf(vcol, vsize, "%d", v);
}

/* Quantize, score, log one row. */
static vsq_status eval_row(sweep_ctx *c, row *r) {
    llm_quant_opts q = {
        .w = r->w[0] ? r->w : NULL, .w_cls = r->cls[0] ? r->cls : NULL, .a = r->a[0] ? r->a : NULL};
    vsq_status st = llm_quantize(c->m, &q);
    llm_ppl_result res;
    if (!st) st = llm_perplexity(c->m, c->tokens, c->n_tokens, c->o, &res);
    if (st) return st;
    r->ppl = res.ppl;
    r->nll = res.nll;
    r->tokens = res.tokens;
    llm_bits bits; /* the sweep compares linear-layer formats: bpw over those */
    if ((st = llm_bits_count(c->m, &q, &bits))) return st;
    r->bpw = bits.bpw_linear;
    char cfg[32], v[8];
    row_cfg(r, cfg, sizeof cfg, v, sizeof v);
    sb_printf(&c->csv, "%s,%s,%s,%s,%.4f,%.4f,%.5f,%zu,%s,%s\n", r->label,
              r->w[0] ? r->w : "fp32", r->a[0] ? r->a : "fp32",
              r->cls[0] ? r->cls : (r->w[0] ? r->w : "fp32"), r->bpw, r->ppl, r->nll, r->tokens,
              cfg, v);
    fprintf(stderr, "[%3d] %-10s W %-22s A %-18s bpw %6.3f  ppl %.4f\n", ++c->done, r->label,
            r->w[0] ? r->w : "fp32", r->a[0] ? r->a : "fp32", r->bpw, r->ppl);
    return VSQ_OK;
}

enum { N_W = 4, N_A = 3, N_SCHEME = 7 };
static const int W_BITS[N_W] = {3, 4, 6, 8};
static const int A_BITS[N_A] = {6, 8, 0}; /* 0: fp32 */
static const char *SCHEME[N_SCHEME] = {"pc-best", "pv-fp32", "2L 4/8", "2L 4/10",
                                       "2L 6/8",  "2L 6/10", "pv-fp16"};

/* Weight and activation specs of grid cell (scheme s, W bits, A bits). */
static void grid_specs(int s, int wb, int ab, const char *calib, row *r) {
    static const int WS[4] = {4, 4, 6, 6}, AS[4] = {8, 10, 8, 10};
    memset(r, 0, sizeof *r);
    r->label = SCHEME[s];
    if (s == 0) {
        snprintf(r->w, sizeof r->w, "int%d:pc:fp32:%s", wb, calib);
        if (ab) snprintf(r->a, sizeof r->a, "int%d:pt:fp32:max", ab);
    } else if (s == 1 || s == 6) {
        const char *sc = s == 1 ? "fp32" : "fp16";
        snprintf(r->w, sizeof r->w, "int%d:v16:%s", wb, sc);
        if (ab) snprintf(r->a, sizeof r->a, "int%d:v16:%s", ab, sc);
    } else {
        snprintf(r->w, sizeof r->w, "int%d:v16:s%d", wb, WS[s - 2]);
        if (ab) snprintf(r->a, sizeof r->a, "int%d:v16:s%d", ab, AS[s - 2]);
    }
}

/* One grid cell; pc-best tries three calibrators and keeps the best. */
static vsq_status eval_cell(sweep_ctx *c, int s, int wb, int ab, row *best) {
    static const char *CAL[3] = {"max", "mse", "octav"};
    int n_cal = s == 0 ? 3 : 1;
    for (int k = 0; k < n_cal; k++) {
        row r;
        grid_specs(s, wb, ab, CAL[k], &r);
        vsq_status st = eval_row(c, &r);
        if (st) return st;
        if (k == 0 || r.ppl < best->ppl) *best = r;
    }
    return VSQ_OK;
}

/* Block formats and tuned VS-Quant rows at about the same bits. */
static const char *EXTRA[][4] = {
    /* label, W, A, classifier ("" = same as W) */
    {"Q8_0-like", "int8:v32:fp16", "int8:v32:fp16", ""},
    {"Q4_0-like", "int4f:v32:fp16", "int8:v32:fp16", ""},
    {"blk32-fp16", "int4:v32:fp16", "int8:v32:fp16", ""},
    {"MX e8m0", "int4:v32:e8m0", "int8:v32:e8m0", ""},
    {"2L@pt", "int4:v16:s4@pt", "int8:v16:s8@pt", ""},
    {"2L@pt", "int4:v16:s8@pt", "int8:v16:s8@pt", ""},
    {"2L@pt mse", "int4:v16:s6@pt:mse", "int8:v16:s10@pt", ""},
    {"2L@pt mse", "int4f:v16:s8r@pt:mse", "int8:v16:s10@pt", ""},
    {"2L@pt mse", "int4f:v16:s6r@pt:mse", "int8:v16:s10@pt", "int8:v16:s8@pt:mse"},
};

static void md_grid(sbuf *md, row grid[N_W][N_SCHEME][N_A], const row *fp32) {
    sb_printf(md, "fp32 reference: PPL %.4f (bpw 32)\n\n", fp32->ppl);
    sb_printf(md, "| W bits | scheme | weight spec | bpw | PPL A6 | PPL A8 | PPL A fp32 |\n"
                  "|---|---|---|---|---|---|---|\n");
    for (int w = 0; w < N_W; w++)
        for (int s = 0; s < N_SCHEME; s++) {
            const row *r = grid[w][s];
            sb_printf(md, "| %d | %s | `%s` | %.3f | %.4f | %.4f | %.4f |\n", W_BITS[w], SCHEME[s],
                      r[1].w, r[1].bpw, r[0].ppl, r[1].ppl, r[2].ppl);
        }
}

static vsq_status run_grid(sweep_ctx *c, sbuf *md) {
    row fp32;
    memset(&fp32, 0, sizeof fp32);
    fp32.label = "fp32";
    vsq_status st = eval_row(c, &fp32);
    static row grid[N_W][N_SCHEME][N_A];
    for (int w = 0; w < N_W && !st; w++)
        for (int s = 0; s < N_SCHEME && !st; s++)
            for (int a = 0; a < N_A && !st; a++)
                st = eval_cell(c, s, W_BITS[w], A_BITS[a], &grid[w][s][a]);
    if (!st) md_grid(md, grid, &fp32);
    return st;
}

static vsq_status run_extra(sweep_ctx *c, sbuf *md) {
    sb_printf(md, "\n| label | weight spec | activation spec | classifier | bpw | PPL |\n"
                  "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof EXTRA / sizeof EXTRA[0]; i++) {
        row r;
        memset(&r, 0, sizeof r);
        r.label = EXTRA[i][0];
        snprintf(r.w, sizeof r.w, "%s", EXTRA[i][1]);
        snprintf(r.a, sizeof r.a, "%s", EXTRA[i][2]);
        snprintf(r.cls, sizeof r.cls, "%s", EXTRA[i][3]);
        vsq_status st = eval_row(c, &r);
        if (st) return st;
        sb_printf(md, "| %s | `%s` | `%s` | %s | %.3f | %.4f |\n", r.label, r.w, r.a,
                  r.cls[0] ? r.cls : "same", r.bpw, r.ppl);
    }
    return VSQ_OK;
}

static vsq_status write_text(const char *prefix, const char *ext, const sbuf *b) {
    char path[4096];
    snprintf(path, sizeof path, "%s.%s", prefix, ext);
    return vsq_write_atomic(path, b->s ? b->s : "", b->n);
}

vsq_status llm_sweep(llm_model *m, const int *tokens, size_t n_tokens, const llm_ppl_opts *o,
                     const char *prefix) {
    sweep_ctx c = {m, tokens, n_tokens, o, {NULL, 0, 0, 0}, 0};
    sbuf md = {NULL, 0, 0, 0};
    sb_printf(&c.csv, "label,w,a,w_cls,bpw,ppl,nll,tokens,cfg,v\n");
    sb_printf(&md, "<!-- generated by vsq eval-lm --sweep; %d windows of %d tokens, %s -->\n\n",
              o->limit_windows, o->ctx, o->full_window ? "all positions" : "second half scored");
    vsq_status st = run_grid(&c, &md);
    if (!st) st = run_extra(&c, &md);
    if (!st && (c.csv.oom || md.oom)) st = vsq_error(VSQ_ENOMEM, "sweep: out of memory");
    if (!st) st = write_text(prefix, "csv", &c.csv);
    if (!st) st = write_text(prefix, "md", &md);
    llm_unquantize(m);
    free(c.csv.s);
    free(md.s);
    return st;
}
