/* vsq bench: packed integer kernels vs the scalar reference kernels vs
 * OpenBLAS SGEMM/SGEMV, side by side in one process, with the machine's
 * measured limits (STREAM-like read bandwidth, register-only int8-dot and
 * fp32 FMA peaks). Writes a JSON array of records (docs/kernels.md). */
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bert_cli.h" /* bert_run_cpu: the CPU model name */
#include "cli.h"
#include "vsq/bench.h"
#include "vsq/kernels.h"
#include "vsq/vsq.h"
#ifdef VSQ_HAVE_BLAS
#include <cblas.h>
#endif

/* ---- growing text buffer for the JSON ---- */
typedef struct {
    char *s;
    size_t len, cap;
} sbuf;
static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = (b->cap + (size_t)n + 1) * 2;
        char *t = realloc(b->s, nc);
        if (!t) return;
        b->s = t;
        b->cap = nc;
    }
}

static double now(void) { return omp_get_wtime(); }

/* Best time of repeated runs, at least `reps` runs and ~min_s seconds. */
#define TIME_BEST(best, min_s, reps, stmt)                                                     \
    do {                                                                                       \
        double t_total = 0;                                                                    \
        best = 1e30;                                                                           \
        for (int r_ = 0; r_ < 1000 && (r_ < (reps) || t_total < (min_s)); r_++) {              \
            double t0_ = now();                                                                \
            stmt;                                                                              \
            double dt_ = now() - t0_;                                                          \
            t_total += dt_;                                                                    \
            if (dt_ < best) best = dt_;                                                        \
        }                                                                                      \
    } while (0)

static float *rand_f(size_t n, unsigned seed) {
    float *x = malloc(n * sizeof *x);
    if (!x) return NULL;
    uint64_t s = 0x9E3779B97F4A7C15ull ^ seed;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        x[i] = (float)((int64_t)(s >> 40) - (1 << 23)) / (float)(1 << 23);
    }
    return x;
}

/* ---- machine limits ---- */
static double g_sink;
/* The CPU model and the available ISAs (JSON array body), for every record. */
static char g_cpu[160], g_isas[128];
/* Sum of a[0..n) (n a multiple of 8 per thread chunk). With `prefetch`,
 * lines 1.5 KiB ahead are requested by software as the GEMV kernels do:
 * on this CPU that raises one thread's sequential read rate by ~25 %
 * (13 -> 16 GB/s), so the limit must be measured the same way. */
static double read_once(const double *a, size_t n, int threads, int prefetch) {
    double tot = 0;
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : tot)
    for (size_t i = 0; i < n; i += 8) {
        if (prefetch && i + 192 < n) __builtin_prefetch(a + i + 192, 0, 3);
        tot += (a[i] + a[i + 4]) + (a[i + 1] + a[i + 5]) + (a[i + 2] + a[i + 6]) + (a[i + 3] + a[i + 7]);
    }
    return tot;
}
static double peak_once(double (*fn)(long), long iters, int threads) {
    double o = 0;
#pragma omp parallel num_threads(threads) reduction(+ : o)
    o += fn(iters);
    return o;
}
/* An ISA's reader (isa_table.h) over each thread's share (a multiple of
 * 512 floats). */
static double read_isa(float (*rd)(const float *, size_t), const double *a, size_t n, int threads) {
    const float *f = (const float *)a;
    size_t nf = 2 * n, share = nf / (size_t)threads / 512 * 512;
    double tot = 0;
#pragma omp parallel num_threads(threads) reduction(+ : tot)
    tot += rd(f + (size_t)omp_get_thread_num() * share, share);
    return tot;
}

/* The ISAs this CPU runs, lowest first (ids). */
static int isa_ids(vsq_isa *out) {
    static const vsq_isa order[] = {VSQ_ISA_REF, VSQ_ISA_AVX2, VSQ_ISA_AVXVNNI, VSQ_ISA_AVX512};
    int n = 0;
    for (int i = 0; i < 4; i++)
        if (vsq_isa_available(order[i])) out[n++] = order[i];
    return n;
}

/* Every limit measured, and the best of them for the active ISA. */
typedef struct {
    int threads;
    double mem_gbps, peak_int8, peak_madd16, peak_fma;
    const char *int8_what, *mem_what;
    /* each reader and each loop (0: not available on this CPU) */
    double rd_plain, rd_prefetch, rd_isa[4];
    double int8_isa[4], fma_isa[4]; /* by vsq_isa id, only where the ISA has its own loop */
} limits;

/* The read-bandwidth limit: the fastest of a plain loop, the same loop
 * with software prefetch, and every ISA's reader (AVX2: 8 interleaved
 * streams of 256-bit loads; AVX-512: 8 streams of zmm loads with software
 * prefetch). */
static void mem_read(limits *L, size_t bytes) {
    int threads = L->threads;
    size_t n = bytes / sizeof(double);
    double *a = aligned_alloc(64, n * sizeof *a);
    if (!a) return;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t i = 0; i < n; i++) a[i] = (double)(i & 1023);
    double t, best;
    double sz = (double)n * sizeof(double);
    TIME_BEST(best, 0.5, 4, g_sink += read_once(a, n, threads, 0));
    L->rd_plain = sz / best / 1e9;
    L->mem_what = "plain loop";
    TIME_BEST(t, 0.5, 4, g_sink += read_once(a, n, threads, 1));
    L->rd_prefetch = sz / t / 1e9;
    if (t < best) best = t, L->mem_what = "loop + prefetch";
    vsq_isa ids[4];
    int ni = isa_ids(ids);
    for (int i = 0; i < ni; i++) {
        vsq_isa_probes o;
        if (vsq_isa_probes_get(ids[i], &o) || !o.read) continue; /* inherited: measured already */
        TIME_BEST(t, 0.5, 4, g_sink += read_isa(o.read, a, n, threads));
        size_t share = 2 * n / (size_t)threads / 512 * 512;
        t = t * sz / ((double)share * threads * sizeof(float)); /* as if all bytes were read */
        L->rd_isa[ids[i]] = sz / t / 1e9;
        if (t < best) best = t, L->mem_what = o.isa;
    }
    free(a);
    L->mem_gbps = sz / best / 1e9;
}

static double peak_loop(double (*fn)(long), int threads) {
    long iters = 20000000;
    double best, ops = 0;
    TIME_BEST(best, 0.2, 3, ops = peak_once(fn, iters, threads));
    return ops / best / 1e9;
}

/* ---- one benchmark case ---- */
typedef struct {
    const char *kernel, *label, *wspec, *aspec;
    size_t m, n, k;
} bcase;

static void record(sbuf *js, int *first, const bcase *c, const char *fmt, int threads,
                   const char *isa, double secs, double ops, double bytes, double ref_gops,
                   double blas_gops, double peak, const limits *L) {
    double gops = ops / secs / 1e9, gbps = bytes / secs / 1e9;
    sb_printf(js,
              "%s\n  {\"kernel\": \"%s\", \"fmt\": \"%s\", \"m\": %zu, \"n\": %zu, \"k\": %zu, "
              "\"threads\": %d, \"isa\": \"%s\", \"seconds\": %.6g, \"gops\": %.4g, \"gbps\": %.4g, "
              "\"ref_gops\": %.4g, \"openblas_gops\": %.4g, \"vs_ref\": %.4g, \"vs_openblas\": %.4g, "
              "\"peak_gops\": %.4g, \"peak_madd16_gops\": %.4g, \"peak_fma_gflops\": %.4g, "
              "\"mem_gbps\": %.4g, \"pct_peak\": %.2f, \"pct_mem\": %.2f, \"cpu\": \"%s\", "
              "\"isas\": [%s]",
              *first ? "" : ",", c->kernel, fmt, c->m, c->n, c->k, threads, isa, secs, gops, gbps,
              ref_gops, blas_gops, ref_gops > 0 ? gops / ref_gops : 0.0,
              blas_gops > 0 ? gops / blas_gops : 0.0, peak, L->peak_madd16, L->peak_fma,
              L->mem_gbps, peak > 0 ? 100.0 * gops / peak : 0.0,
              L->mem_gbps > 0 ? 100.0 * gbps / L->mem_gbps : 0.0, g_cpu, g_isas);
    if (!strcmp(c->kernel, "limits")) { /* every loop and reader behind the limits */
        sb_printf(js, ", \"peak_int8_what\": \"%s\", \"mem_reader\": \"%s\", "
                      "\"read_plain_gbps\": %.4g, \"read_prefetch_gbps\": %.4g",
                  L->int8_what, L->mem_what, L->rd_plain, L->rd_prefetch);
        for (int i = 0; i < 4; i++) {
            const char *nm = vsq_isa_name((vsq_isa)i);
            if (L->rd_isa[i] > 0) sb_printf(js, ", \"read_%s_gbps\": %.4g", nm, L->rd_isa[i]);
            if (L->int8_isa[i] > 0) sb_printf(js, ", \"peak_int8_%s_gops\": %.4g", nm, L->int8_isa[i]);
            if (L->fma_isa[i] > 0) sb_printf(js, ", \"peak_fma_%s_gflops\": %.4g", nm, L->fma_isa[i]);
        }
    }
    sb_printf(js, "}");
    *first = 0;
    fprintf(stderr, "%-9s %-28s m=%-5zu n=%-5zu k=%-5zu t=%d  %8.2f GOPS %7.2f GB/s  x%.1f ref  x%.2f blas\n",
            c->kernel, fmt, c->m, c->n, c->k, threads, gops, gbps,
            ref_gops > 0 ? gops / ref_gops : 0.0, blas_gops > 0 ? gops / blas_gops : 0.0);
}

static double blas_gops(size_t m, size_t n, size_t k, int threads, double min_s) {
#ifdef VSQ_HAVE_BLAS
    float *a = rand_f(m * k, 1), *w = rand_f(n * k, 2), *y = calloc(m * n, sizeof *y);
    if (!a || !w || !y) {
        free(a), free(w), free(y);
        return 0;
    }
    openblas_set_num_threads(threads);
    double best;
    if (m == 1)
        TIME_BEST(best, min_s, 3, cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, 1.0f, w,
                                              (int)k, a, 1, 0.0f, y, 1));
    else
        TIME_BEST(best, min_s, 2, cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n,
                                              (int)k, 1.0f, a, (int)k, w, (int)k, 0.0f, y, (int)n));
    free(a), free(w), free(y);
    return 2.0 * m * n * k / best / 1e9;
#else
    (void)m, (void)n, (void)k, (void)threads, (void)min_s;
    return 0;
#endif
}

/* Let OpenBLAS's worker threads stop spinning (they busy-wait for a
 * while after each call) before anything else is timed. */
static void blas_settle(void) {
#ifdef VSQ_HAVE_BLAS
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
#endif
}

static int run_case(sbuf *js, int *first, const bcase *c, int threads, const limits *L,
                    double min_s) {
    vsq_format fw, fa;
    if (vsq_format_parse(c->wspec, &fw) || vsq_format_parse(c->aspec, &fa)) return cli_status(VSQ_EINVAL);
    char fmt[96];
    snprintf(fmt, sizeof fmt, "%s %s/%s", c->label, c->wspec, c->aspec);
    float *xw = rand_f(c->n * c->k, 3), *xa = rand_f(c->m * c->k, 4);
    float *y = malloc(c->m * c->n * sizeof *y);
    if (!xw || !xa || !y) {
        free(xw), free(xa), free(y);
        return cli_fail(CLI_FAIL, "out of memory for %zu x %zu", c->n, c->k);
    }
    vsq_packed_w pw;
    vsq_packed_a pa;
    memset(&pa, 0, sizeof pa);
    vsq_status st = vsq_quantize_pack_weights(&fw, xw, c->n, c->k, &pw);
    if (!st) st = vsq_quantize_act(&fa, xa, c->m, c->k, &pa);
    if (st) {
        free(xw), free(xa), free(y);
        return cli_status(st);
    }
    const char *isa = vsq_isa_name(vsq_isa_active());
    double ops = 2.0 * c->m * c->n * c->k;
    double wbytes = (double)pw.n_panels * pw.panel_bytes + pw.n_panels * 16.0;
    double abytes = (double)pa.m * pa.kp * 2 + pa.m * pa.n_vec * 8.0;
    double bytes = wbytes + abytes + 4.0 * c->m * c->n;

    /* scalar reference kernel on a slice (rate extrapolated) */
    double ref_gops = 0;
    {
        vsq_packed_a sa = pa;
        vsq_packed_w sw = pw;
        double budget = 2e8; /* MACs */
        if ((double)sa.m * sw.n * sw.k > budget) {
            if (sa.m > 8) sa.m = (size_t)fmax(8, budget / ((double)sw.n * sw.k));
            if ((double)sa.m * sw.n * sw.k > budget) {
                size_t nn = (size_t)(budget / ((double)sa.m * sw.k)) / 4 * 4;
                if (nn < 4) nn = 4;
                if (nn < sw.n) sw.n = nn, sw.n_panels = nn / 4;
            }
        }
        vsq_isa_force(VSQ_ISA_REF);
        double best;
        TIME_BEST(best, 0.05, 1, vsq_gemm_packed(&sa, &sw, y, NULL, threads));
        vsq_isa_force(-1);
        ref_gops = 2.0 * sa.m * sw.n * sw.k / best / 1e9;
    }
    /* ours first, OpenBLAS last: its worker threads keep spinning for a
     * while after a call and would steal the second core from our timed
     * OpenMP threads (measured: 2-thread rates collapsing 10-100x) */
    double best, best_lin = 0;
    TIME_BEST(best, min_s, 3, st = vsq_gemm_packed(&pa, &pw, y, NULL, threads));
    if (st) {
        free(xw), free(xa), free(y);
        return cli_status(st);
    }
    /* the whole linear layer: dynamic activation quantization + GEMM */
    int lin = c->m > 1 || c->n >= 4096;
    if (lin) {
        vsq_packed_a scratch;
        memset(&scratch, 0, sizeof scratch);
        TIME_BEST(best_lin, min_s, 3, vsq_linear_q(&pw, &fa, xa, c->m, NULL, y, threads, &scratch));
        vsq_packed_a_free(&scratch);
    }
    double bg = blas_gops(c->m, c->n, c->k, threads, min_s);
    blas_settle();
    record(js, first, c, fmt, threads, isa, best, ops, bytes, ref_gops, bg, L->peak_int8, L);
    if (lin) {
        bcase lc = *c;
        lc.kernel = "linear_q";
        record(js, first, &lc, fmt, threads, isa, best_lin, ops, bytes + 4.0 * c->m * c->k, ref_gops,
               bg, L->peak_int8, L);
    }
    vsq_packed_a_free(&pa);
    vsq_packed_w_free(&pw);
    free(xw), free(xa), free(y);
    return CLI_OK;
}

/* Quantize fp32 -> packed throughput, GB/s of fp32 input. */
static void run_quant(sbuf *js, int *first, const char *spec, size_t n, size_t k, int threads,
                      const limits *L, double min_s, int weights) {
    vsq_format f;
    if (vsq_format_parse(spec, &f)) return;
    float *x = rand_f(n * k, 5);
    if (!x) return;
    bcase c = {weights ? "quantize_w" : "quantize_a", "", spec, spec, weights ? 0 : n, weights ? n : 0, k};
    double best, ref_t;
    vsq_packed_w pw;
    vsq_packed_a pa;
    memset(&pa, 0, sizeof pa);
    omp_set_num_threads(threads);
#define QRUN()                                                                                 \
    do {                                                                                       \
        if (weights) {                                                                         \
            if (!vsq_quantize_pack_weights(&f, x, n, k, &pw)) vsq_packed_w_free(&pw);          \
        } else                                                                                 \
            vsq_quantize_act(&f, x, n, k, &pa);                                                \
    } while (0)
    TIME_BEST(best, min_s, 3, QRUN());
    vsq_isa_force(VSQ_ISA_REF);
    TIME_BEST(ref_t, min_s / 2, 1, QRUN());
    vsq_isa_force(-1);
    vsq_packed_a_free(&pa);
    double bytes = 4.0 * n * k;
    /* for quantizers gops = elements / s (G elem/s), vs_ref = speed-up */
    char fmt[64];
    snprintf(fmt, sizeof fmt, "%s", spec);
    record(js, first, &c, fmt, threads, vsq_isa_name(vsq_isa_active()), best, (double)n * k / 2.0,
           bytes, (double)n * k / 2.0 / ref_t / 1e9, 0, 0, L);
    free(x);
    omp_set_num_threads(omp_get_num_procs());
}

/* --only: does this case's description contain the filter string? */
static int selected(const char *only, const char *kernel, const char *label, const char *wspec,
                    size_t m, size_t n, size_t k) {
    if (!only) return 1;
    char d[256];
    snprintf(d, sizeof d, "%s %s %s %zux%zux%zu", kernel, label, wspec, m, n, k);
    return strstr(d, only) != NULL;
}

/* Each ISA's own int8-dot and FMA loops (not the inherited ones), then the
 * limits of the active ISA: the best loop of its fallback chain (its
 * kernels may use any instruction of the ISAs below it). */
static void measure_peaks(limits *L) {
    vsq_isa ids[4];
    int ni = isa_ids(ids);
    for (int i = 0; i < ni; i++) {
        vsq_isa_probes o;
        if (vsq_isa_probes_get(ids[i], &o)) continue;
        if (o.peak_int8) L->int8_isa[ids[i]] = peak_loop(o.peak_int8, L->threads);
        if (o.peak_fma) L->fma_isa[ids[i]] = peak_loop(o.peak_fma, L->threads);
    }
    if (vsq_isa_available(VSQ_ISA_AVX2)) L->peak_madd16 = peak_loop(vsq_peak_madd16_avx2, L->threads);
    vsq_isa chain[4];
    int nc = vsq_isa_chain(chain);
    for (int c = 0; c < nc; c++) {
        vsq_isa_probes o;
        vsq_isa_probes_get(chain[c], &o);
        if (L->int8_isa[chain[c]] > L->peak_int8) {
            L->peak_int8 = L->int8_isa[chain[c]];
            L->int8_what = o.peak_int8_what;
        }
        if (L->fma_isa[chain[c]] > L->peak_fma) L->peak_fma = L->fma_isa[chain[c]];
    }
}

static int cmd_bench_run(int argc, char **argv) {
    const char *json = NULL, *tl = NULL, *only = NULL;
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (cli_opt(argc, argv, &i, "--json", &v)) json = v;
        else if (cli_opt(argc, argv, &i, "--threads", &v)) tl = v;
        else if (cli_opt(argc, argv, &i, "--only", &v)) only = v;
        else return cli_fail(CLI_BADINPUT, "unknown option '%s' (see vsq bench --help)", argv[i]);
    }
    if (!json) return cli_fail(CLI_BADINPUT, "--json FILE is required");
    int tlist[8], nt = 0, maxt = omp_get_num_procs();
    if (tl) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", tl);
        char *items[8];
        int n = cli_split_commas(buf, items, 8);
        for (int i = 0; i < n; i++) {
            long t;
            if (cli_parse_long(items[i], 1, 1024, &t))
                return cli_fail(CLI_BADINPUT, "--threads: '%s' is not a thread count 1..1024", items[i]);
            tlist[nt++] = (int)t;
        }
    } else {
        tlist[nt++] = 1;
        if (maxt > 1) tlist[nt++] = maxt;
    }
    double min_s = quick ? 0.05 : 0.3;
    sbuf js = {0};
    int first = 1;
    sb_printf(&js, "[");
    bert_run_cpu(g_cpu, sizeof g_cpu);
    for (char *p = g_cpu; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 32) *p = ' '; /* JSON-safe */
    {
        char names[96], *items[8];
        vsq_isa_list_available(names, sizeof names, ",");
        int n = cli_split_commas(names, items, 8);
        g_isas[0] = 0;
        for (int i = 0; i < n; i++)
            snprintf(g_isas + strlen(g_isas), sizeof g_isas - strlen(g_isas), "%s\"%s\"",
                     i ? ", " : "", items[i]);
    }
    char isas_h[96];
    vsq_isa_list_available(isas_h, sizeof isas_h, " ");
    fprintf(stderr, "vsq bench: %s; isa %s (available: %s; VSQ_ISA to force), %s\n", g_cpu,
            vsq_isa_name(vsq_isa_active()), isas_h,
#ifdef VSQ_HAVE_BLAS
            "OpenBLAS baseline"
#else
            "no BLAS baseline"
#endif
    );
    const bcase full[] = {
        {"gemv", "W4A8", "int4:v16:s6", "int8:v16:s10", 1, 4096, 4096},
        {"gemv", "W4A8", "int4:v16:s6", "int8:v16:s10", 1, 16384, 16384},
        {"gemv", "W8A8", "int8:v16:s6", "int8:v16:s10", 1, 16384, 16384},
        {"gemv", "W8A8", "int8:v16:s6", "int8:v16:s10", 1, 4096, 4096},
        {"gemv", "W6A8", "int6:v16:s6", "int8:v16:s10", 1, 4096, 4096},
        {"gemv", "W4A4", "int4:v16:s4", "int4:v16:s4", 1, 4096, 4096},
        {"gemv", "W3A8", "int3:v16:s6", "int8:v16:s10", 1, 4096, 4096},
        {"gemv", "W4A8-fp16", "int4:v16:fp16", "int8:v16:fp16", 1, 4096, 4096},
        {"gemv", "W4A8-v64", "int4:v64:s8", "int8:v64:s10", 1, 4096, 4096},
        {"gemm", "W8A8", "int8:v16:s6", "int8:v16:s10", 1024, 1024, 1024},
        {"gemm", "W8A8", "int8:v16:s6", "int8:v16:s10", 4096, 4096, 4096},
        {"gemm", "W4A8", "int4:v16:s6", "int8:v16:s10", 1024, 1024, 1024},
        {"gemm", "W4A4", "int4:v16:s4", "int4:v16:s4", 1024, 1024, 1024},
        {"gemm", "W6A8", "int6:v16:s6", "int8:v16:s10", 1024, 1024, 1024},
        {"gemm", "W8A8-v32", "int8:v32:s6", "int8:v32:s10", 1024, 1024, 1024},
        {"gemm", "W8A8-v64", "int8:v64:s6", "int8:v64:s10", 1024, 1024, 1024},
        {"gemm", "W8A8-fp32", "int8:v16:fp32", "int8:v16:fp32", 1024, 1024, 1024},
        {"llm", "W4A8", "int4:v16:s6", "int8:v16:s10", 1, 4096, 4096},
        {"llm", "W4A8", "int4:v16:s6", "int8:v16:s10", 512, 4096, 4096},
        {"llm", "W8A8", "int8:v16:s6", "int8:v16:s10", 512, 4096, 4096},
    };
    const bcase quickc[] = {
        {"gemv", "W4A8", "int4:v16:s6", "int8:v16:s10", 1, 1024, 1024},
        {"gemv", "W8A8", "int8:v16:s6", "int8:v16:s10", 1, 1024, 1024},
        {"gemm", "W8A8", "int8:v16:s6", "int8:v16:s10", 256, 256, 256},
        {"gemm", "W4A8", "int4:v16:s6", "int8:v16:s10", 128, 256, 512},
        {"llm", "W4A8", "int4:v16:s6", "int8:v16:s10", 64, 1024, 1024},
    };
    const bcase *cases = quick ? quickc : full;
    size_t ncases = quick ? sizeof quickc / sizeof *quickc : sizeof full / sizeof *full;
    int rc = CLI_OK, matched = 0;
    for (size_t i = 0; i < ncases; i++) /* fail before minutes of measuring */
        matched += selected(only, cases[i].kernel, cases[i].label, cases[i].wspec, cases[i].m,
                            cases[i].n, cases[i].k);
    size_t qn = quick ? 256 : 4096, qk = quick ? 1024 : 4096, an = quick ? 64 : 512;
    matched += selected(only, "quantize_w", "", "int4:v16:s6", 0, qn, qk) ||
               selected(only, "quantize_a", "", "int8:v16:s10", an, 0, qk);
    if (!matched) {
        free(js.s);
        return cli_fail(CLI_BADINPUT, "--only '%s' matches no benchmark case (their "
                                      "descriptions are printed by a run without --only)", only);
    }
    for (int ti = 0; ti < nt && rc == CLI_OK; ti++) {
        limits L;
        memset(&L, 0, sizeof L);
        L.threads = tlist[ti];
        L.int8_what = "-";
        mem_read(&L, quick ? (size_t)128 << 20 : (size_t)512 << 20);
        measure_peaks(&L);
        fprintf(stderr, "threads %d: read %.1f GB/s (%s), int8 dot %.1f GOPS (%s), "
                        "vpmaddwd %.1f GOPS, fp32 FMA %.1f GFLOPS\n",
                tlist[ti], L.mem_gbps, L.mem_what, L.peak_int8, L.int8_what, L.peak_madd16,
                L.peak_fma);
        vsq_isa ids[4];
        int nids = isa_ids(ids);
        for (int j = 0; j < nids; j++) { /* each ISA's own loops (inherited ones are not rerun) */
            int i = (int)ids[j];
            if (!(L.int8_isa[i] > 0 || L.fma_isa[i] > 0 || L.rd_isa[i] > 0)) continue;
            fprintf(stderr, "  %-8s", vsq_isa_name((vsq_isa)i));
            if (L.int8_isa[i] > 0) fprintf(stderr, "  int8 dot %.1f GOPS", L.int8_isa[i]);
            if (L.fma_isa[i] > 0) fprintf(stderr, "  fp32 FMA %.1f GFLOPS", L.fma_isa[i]);
            if (L.rd_isa[i] > 0) fprintf(stderr, "  read %.1f GB/s", L.rd_isa[i]);
            fprintf(stderr, "\n");
        }
        bcase lim = {"limits", "", "-", "-", 0, 0, 0};
        record(&js, &first, &lim, "machine", tlist[ti], vsq_isa_name(vsq_isa_active()), 1.0,
               L.peak_int8 * 1e9, L.mem_gbps * 1e9, 0, 0, L.peak_int8, &L);
        for (size_t i = 0; i < ncases && rc == CLI_OK; i++) {
            const bcase *c = &cases[i];
            if (selected(only, c->kernel, c->label, c->wspec, c->m, c->n, c->k))
                rc = run_case(&js, &first, c, tlist[ti], &L, min_s);
        }
        if (selected(only, "quantize_w", "", "int4:v16:s6", 0, qn, qk))
            run_quant(&js, &first, "int4:v16:s6", qn, qk, tlist[ti], &L, min_s, 1);
        if (selected(only, "quantize_a", "", "int8:v16:s10", an, 0, qk))
            run_quant(&js, &first, "int8:v16:s10", an, qk, tlist[ti], &L, min_s, 0);
    }
    sb_printf(&js, "\n]\n");

    if (rc == CLI_OK && cli_write_text(json, js.s) != 0) rc = CLI_FAIL;
    free(js.s);
    return rc;
}

const cli_command cmd_bench = {
    "bench", cmd_bench_run, "benchmark the packed integer kernels (vs reference, OpenBLAS)",
    "usage: vsq bench [--quick] [--threads T[,T2...]] [--only TEXT] --json FILE\n"
    "  Times the packed VS-Quant kernels (GEMV, GEMM, LLM-like shapes, W8A8/W4A8/W4A4/W6A8,\n"
    "  two-level and fp16 scales, V=16/32/64) against the scalar reference kernels and\n"
    "  OpenBLAS SGEMM/SGEMV on the same shapes, with the measured read bandwidth and\n"
    "  int8-dot / fp32-FMA peaks. Writes a JSON array of records with kernel, fmt, m, n,\n"
    "  k, threads, gops, gbps, vs_ref, vs_openblas, peak_gops, mem_gbps (+ extras).\n"
    "  --quick       small shapes (seconds)\n"
    "  --threads L   comma-separated thread counts (default: 1 and all cores)\n"
    "  --only TEXT   run only cases whose description \"KERNEL LABEL WFMT MxNxK\" contains\n"
    "                TEXT (e.g. \"gemv W4A8\", \"16384\", \"quantize_w\"); limits always run\n"
    "  Every record carries the CPU model (cpu), the ISA used (isa) and the available ones\n"
    "  (isas); the \"limits\" record lists each peak loop and reader behind the limits.\n"
    "  VSQ_ISA=ref|avx2|avxvnni|avx512 forces a kernel variant; OPENBLAS_CORETYPE picks BLAS\n"
    "  kernels.\n"};
