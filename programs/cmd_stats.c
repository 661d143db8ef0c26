/* vsq stats: quantization error of one tensor in one or more formats. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cli_matrix.h"

#define MAX_FORMATS 32

typedef struct {
    double mse, sqnr_db, max_abs, bits;
} error_stats;

static error_stats measure(const float *x, const float *y, size_t n, double bits) {
    error_stats e = {0, 0, 0, bits};
    double signal = 0.0, noise = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)x[i] - (double)y[i];
        noise += d * d;
        signal += (double)x[i] * (double)x[i];
        if (fabs(d) > e.max_abs) e.max_abs = fabs(d);
    }
    e.mse = noise / (double)n;
    e.sqnr_db = noise > 0.0 ? 10.0 * log10(signal / noise) : INFINITY;
    return e;
}

static cJSON *stats_json(const char *name, const error_stats *e) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "fmt", name);
    cJSON_AddNumberToObject(o, "bits_per_elem", e->bits);
    cJSON_AddNumberToObject(o, "mse", e->mse);
    cJSON_AddNumberToObject(o, "sqnr_db", isinf(e->sqnr_db) ? 999.0 : e->sqnr_db);
    cJSON_AddNumberToObject(o, "max_abs_err", e->max_abs);
    return o;
}

static int run(int argc, char **argv) {
    const char *list = NULL, *json_path = NULL, *val, *path = NULL;
    int axis = -1;
    for (int i = 1; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--fmt", &list)) continue;
        if (cli_opt(argc, argv, &i, "--json", &json_path)) continue;
        if (cli_opt(argc, argv, &i, "--axis", &val)) {
            if (cli_parse_axis(val, &axis)) return CLI_BADINPUT;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) return cli_fail(CLI_BADINPUT, "unknown option %s", argv[i]);
        if (path) return cli_fail(CLI_BADINPUT, "unexpected argument '%s'", argv[i]);
        path = argv[i];
    }
    if (!list || !path)
        return cli_fail(CLI_BADINPUT, "usage: vsq stats --fmt SPEC[,SPEC...] [--axis K] IN.npy");
    vsq_format fmts[MAX_FORMATS];
    char names[MAX_FORMATS][128];
    int n_fmt = cli_parse_formats(list, fmts, names, MAX_FORMATS);
    if (n_fmt < 0) return CLI_BADINPUT;
    cli_matrix m;
    int rc = cli_matrix_load(path, axis, &m);
    if (rc) return rc;
    size_t n = m.rows * m.cols;
    float *y = malloc(n * sizeof *y);
    if (!y) {
        cli_matrix_free(&m);
        return cli_fail(CLI_FAIL, "out of memory");
    }
    cJSON *arr = cJSON_CreateArray();
    printf("%-28s %10s %12s %10s %12s\n", "format", "bits/elem", "MSE", "SQNR dB", "max |err|");
    for (int f = 0; f < n_fmt && !rc; f++) {
        rc = cli_status(vsq_fakequant(&fmts[f], m.x, m.rows, m.cols, m.channels, y));
        if (rc) break;
        double bits = vsq_format_bits_per_elem(&fmts[f], m.rows, m.cols, m.channels);
        error_stats e = measure(m.x, y, n, bits);
        printf("%-28s %10.4f %12.4e %10.3f %12.4e\n", names[f], e.bits, e.mse, e.sqnr_db,
               e.max_abs);
        cJSON_AddItemToArray(arr, stats_json(names[f], &e));
    }
    if (!rc && json_path) {
        char *text = cJSON_Print(arr);
        rc = text ? cli_write_text(json_path, text) : cli_fail(CLI_FAIL, "out of memory");
        free(text);
    }
    cJSON_Delete(arr);
    free(y);
    cli_matrix_free(&m);
    return rc;
}

const cli_command cmd_stats = {
    "stats", run, "quantization error (MSE, SQNR, max error, bits/elem) per format",
    "usage: vsq stats --fmt SPEC[,SPEC...] [--axis K] [--json FILE] IN.npy\n\n"
    "For each format: bits per element including all scale overhead (per-vector\n"
    "scale bits and the amortised fp32 coarse scales), mean squared error, SQNR in\n"
    "dB (10 log10 sum x^2 / sum (x - q(x))^2) and the largest absolute error.\n"};
