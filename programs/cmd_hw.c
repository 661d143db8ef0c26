/* vsq hw - hardware view of VS-Quant (paper 5): cost of a configuration,
 * bit-accurate PE check against the library GEMM, Verilog of the MAC. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "commands.h"
#include "vsq/hw.h"

/* Options shared by the subcommands. */
typedef struct {
    const char *cfg, *json, *out, *name;
    long v, round, k, m, n, seed;
    double gate;
} hw_opts;

static int parse_opts(int argc, char **argv, hw_opts *o) {
    *o = (hw_opts){NULL, NULL, NULL, "vsq_vmac", 16, 0, 256, 8, 8, 1, -1.0};
    for (int i = 1; i < argc; i++) {
        const char *val;
        long *num = NULL, lo = 0, hi = 0;
        if (cli_opt(argc, argv, &i, "--cfg", &o->cfg)) continue;
        if (cli_opt(argc, argv, &i, "--json", &o->json)) continue;
        if (cli_opt(argc, argv, &i, "--out", &o->out)) continue;
        if (cli_opt(argc, argv, &i, "--name", &o->name)) continue;
        if (cli_opt(argc, argv, &i, "--gate", &val)) {
            if (cli_parse_double(val, &o->gate) || o->gate < 0 || o->gate > 1)
                return cli_fail(CLI_BADINPUT, "--gate wants a fraction 0..1, got '%s'", val);
            continue;
        }
        if (cli_opt(argc, argv, &i, "--v", &val)) num = &o->v, lo = 1, hi = 4096;
        else if (cli_opt(argc, argv, &i, "--round", &val)) num = &o->round, lo = 0, hi = 32;
        else if (cli_opt(argc, argv, &i, "--k", &val)) num = &o->k, lo = 1, hi = 1 << 20;
        else if (cli_opt(argc, argv, &i, "--m", &val)) num = &o->m, lo = 1, hi = 4096;
        else if (cli_opt(argc, argv, &i, "--n", &val)) num = &o->n, lo = 1, hi = 4096;
        else if (cli_opt(argc, argv, &i, "--seed", &val)) num = &o->seed, lo = 0, hi = 1L << 30;
        else return cli_fail(CLI_BADINPUT, "unknown option '%s' (see vsq hw --help)", argv[i]);
        if (cli_parse_long(val, lo, hi, num))
            return cli_fail(CLI_BADINPUT, "%s wants an integer %ld..%ld, got '%s'", argv[i - 1],
                            lo, hi, val);
    }
    if (!o->cfg) return cli_fail(CLI_BADINPUT, "missing --cfg W/A/ws/as");
    return CLI_OK;
}

static cJSON *cost_json(const char *spec, const vsq_hw_cfg *c, const vsq_hw_cost *k) {
    cJSON *j = cJSON_CreateObject(), *parts = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "cfg", spec);
    cJSON_AddNumberToObject(j, "v", c->v);
    cJSON_AddNumberToObject(j, "round_bits", c->round_bits);
    cJSON_AddStringToObject(j, "granularity", vsq_hw_gran_name(vsq_hw_cfg_gran(c)));
    cJSON_AddNumberToObject(j, "area_rel", k->area_rel);
    cJSON_AddNumberToObject(j, "energy_rel", k->energy_rel);
    cJSON_AddNumberToObject(j, "perf_per_area_rel", k->perf_per_area_rel);
    cJSON_AddNumberToObject(j, "area_ge", k->area_total);
    cJSON_AddNumberToObject(j, "energy_pj_per_mac", k->energy_total);
    cJSON_AddNumberToObject(j, "acc_bits", k->acc_bits);
    cJSON_AddNumberToObject(j, "gate_frac", k->gate_frac);
    for (int i = 0; i < HW_NPARTS; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "area_ge", k->area[i]);
        cJSON_AddNumberToObject(p, "energy_pj", k->energy[i]);
        cJSON_AddItemToObject(parts, vsq_hw_part_names[i], p);
    }
    cJSON_AddItemToObject(j, "parts", parts);
    return j;
}

static int write_json(const char *path, cJSON *j) {
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    if (!text) return cli_fail(CLI_FAIL, "out of memory");
    size_t n = strlen(text);
    char *t2 = realloc(text, n + 2);
    if (!t2) { free(text); return cli_fail(CLI_FAIL, "out of memory"); }
    memcpy(t2 + n, "\n", 2);
    int rc = cli_write_text(path, t2);
    free(t2);
    return rc;
}

/* vsq hw cost: one or more comma-separated configurations. */
static int hw_cost(const hw_opts *o) {
    char list[512];
    snprintf(list, sizeof list, "%s", o->cfg);
    char *items[32];
    int n = cli_split_commas(list, items, 32);
    if (n == 0) return cli_fail(CLI_BADINPUT, "empty --cfg");
    vsq_hw_arch arch;
    vsq_hw_arch_default(&arch);
    arch.gate_frac = o->gate;
    vsq_hw_cfg cs[32];
    vsq_hw_cost ks[32];
    for (int i = 0; i < n; i++) { /* validate everything before printing */
        vsq_status st = vsq_hw_cfg_parse(items[i], (int)o->v, (int)o->round, &cs[i]);
        if (st == VSQ_OK) st = vsq_hw_cost_eval(&cs[i], &arch, &ks[i]);
        if (st != VSQ_OK) return cli_status(st);
    }
    cJSON *arr = cJSON_CreateArray(), *one = NULL;
    printf("%-10s %-5s %8s %10s %10s %8s\n", "cfg", "gran", "area_rel", "energy_rel",
           "perf/area", "acc_bits");
    for (int i = 0; i < n; i++) {
        const vsq_hw_cfg c = cs[i];
        const vsq_hw_cost k = ks[i];
        printf("%-10s %-5s %8.3f %10.3f %10.3f %8d\n", items[i],
               vsq_hw_gran_name(vsq_hw_cfg_gran(&c)), k.area_rel, k.energy_rel,
               k.perf_per_area_rel, k.acc_bits);
        one = cost_json(items[i], &c, &k);
        cJSON_AddItemToArray(arr, one);
    }
    if (!o->json) {
        cJSON_Delete(arr);
        return CLI_OK;
    }
    if (n == 1) {
        one = cJSON_DetachItemFromArray(arr, 0);
        cJSON_Delete(arr);
        return write_json(o->json, one);
    }
    return write_json(o->json, arr);
}

/* Random data with outliers, so per-vector scales differ (paper 3). */
static void fill_random(float *x, size_t n, unsigned *seed) {
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        double u = ((*seed >> 8) & 0xFFFF) / 65536.0 - 0.5;
        x[i] = (float)(u * ((*seed >> 28) == 0 ? 8.0 : 1.0));
    }
}

/* vsq hw pe: random operands through the PE model and vsq_gemm_ref. */
static int hw_pe(const hw_opts *o) {
    vsq_layer_cfg lc;
    vsq_status st = vsq_layer_cfg_parse(o->cfg, (int)o->v, &lc);
    if (st != VSQ_OK) return cli_status(st);
    size_t m = (size_t)o->m, n = (size_t)o->n, k = (size_t)o->k;
    float *xa = malloc(m * k * sizeof *xa), *xw = malloc(n * k * sizeof *xw);
    float *y = malloc(m * n * sizeof *y), *yr = malloc(m * n * sizeof *yr);
    int64_t *acc = malloc(m * n * sizeof *acc), *ref = malloc(m * n * sizeof *ref);
    vsq_qtensor qa = {0}, qw = {0};
    int rc = CLI_FAIL;
    if (!xa || !xw || !y || !yr || !acc || !ref) {
        rc = cli_fail(CLI_FAIL, "out of memory");
        goto done;
    }
    unsigned seed = (unsigned)o->seed;
    fill_random(xa, m * k, &seed);
    fill_random(xw, n * k, &seed);
    vsq_pe_opts po = {0, (int)o->round, 0, 0, 0, 0, 0};
    st = vsq_quantize(&lc.a, xa, m, k, 1, &qa);
    if (st == VSQ_OK) st = vsq_quantize(&lc.w, xw, n, k, n, &qw);
    if (st == VSQ_OK) st = vsq_pe_gemm(&qa, &qw, &po, acc, y);
    if (st == VSQ_OK) st = vsq_gemm_ref(&qa, &qw, (int)o->round, yr, ref);
    if (st != VSQ_OK) {
        rc = cli_status(st);
        goto done;
    }
    size_t diff = 0;
    for (size_t i = 0; i < m * n; i++) diff += acc[i] != ref[i] || y[i] != yr[i];
    printf("cfg %s V=%ld R=%ld K=%zu: accumulator %d bits, %zu overflows, scale shift %d\n",
           o->cfg, o->v, o->round, k, po.acc_bits, po.overflows, po.shift);
    printf("gateable vector MACs (scale product rounds to 0): %.4f\n",
           po.n_vmac ? (double)po.n_gated / (double)po.n_vmac : 0.0);
    printf("PE vs vsq_gemm_ref: %zu of %zu outputs differ\n", diff, m * n);
    rc = diff ? CLI_FAIL : CLI_OK;
done:
    vsq_qtensor_free(&qa);
    vsq_qtensor_free(&qw);
    free(xa), free(xw), free(y), free(yr), free(acc), free(ref);
    return rc;
}

/* vsq hw verilog: the vector MAC of Fig. 2b as Verilog. */
static int hw_verilog(const hw_opts *o) {
    vsq_hw_cfg c;
    vsq_status st = vsq_hw_cfg_parse(o->cfg, (int)o->v, (int)o->round, &c);
    if (st != VSQ_OK) return cli_status(st);
    for (const char *p = o->name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
              (p > o->name && *p >= '0' && *p <= '9')))
            return cli_fail(CLI_BADINPUT, "--name '%s' is not a Verilog identifier", o->name);
    char *text = vsq_verilog_vmac(&c, o->name);
    if (!text) return cli_fail(CLI_FAIL, "cannot generate Verilog");
    int rc = CLI_OK;
    if (o->out) rc = cli_write_text(o->out, text);
    else fputs(text, stdout);
    free(text);
    return rc;
}

static int run_hw(int argc, char **argv) {
    if (argc < 2) return cli_fail(CLI_BADINPUT, "missing subcommand: cost, pe or verilog");
    hw_opts o;
    int rc = parse_opts(argc - 1, argv + 1, &o);
    if (rc != CLI_OK) return rc;
    if (!strcmp(argv[1], "cost")) return hw_cost(&o);
    if (!strcmp(argv[1], "pe")) return hw_pe(&o);
    if (!strcmp(argv[1], "verilog")) return hw_verilog(&o);
    return cli_fail(CLI_BADINPUT, "unknown subcommand '%s' (cost, pe, verilog)", argv[1]);
}

const cli_command cmd_hw = {
    "hw", run_hw, "hardware cost model, PE model check and Verilog (paper 5)",
    "usage: vsq hw cost    --cfg W/A/ws/as[,...] [--v V] [--round R] [--gate F] [--json FILE]\n"
    "       vsq hw pe      --cfg W/A/ws/as [--v V] [--round R] [--k K] [--m M] [--n N] [--seed S]\n"
    "       vsq hw verilog --cfg W/A/ws/as [--v V] [--round R] [--name MODULE] [--out FILE]\n\n"
    "cost     area and energy per operation of a VS-Quant PE, relative to 8/8/-/-\n"
    "         (W/A: element bits; ws/as: per-vector scale bits or '-' for per-channel /\n"
    "         per-layer). --round R rounds the scale product to R bits (Fig. 3); --gate F\n"
    "         sets the fraction of zero scale products (default: estimated from R).\n"
    "         --json writes {\"area_rel\", \"energy_rel\", \"perf_per_area_rel\", parts...}.\n"
    "pe       runs random two-level operands through the bit-accurate PE model and\n"
    "         checks its integers against vsq_gemm_ref (exit 1 on a difference).\n"
    "verilog  writes the vector MAC (Fig. 2b) as Verilog for iverilog/yosys.\n"
    "Model and assumptions: docs/hardware.md.\n"};
