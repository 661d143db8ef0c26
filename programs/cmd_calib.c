/* vsq calib: the clip value each calibration method picks for a tensor. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_matrix.h"

static double clip_mse(const vsq_format *fmt, const float *x, size_t n, float alpha) {
    int qmin = vsq_format_qmin(fmt), qmax = vsq_format_qmax(fmt);
    float s = alpha / (float)vsq_format_qref(fmt);
    double err = 0.0;
    for (size_t i = 0; i < n; i++) {
        double q = 0.0;
        if (s > 0.0f) {
            float v = roundf(x[i] / s);
            q = v < qmin ? qmin : v > qmax ? qmax : v;
        }
        double d = x[i] - q * s;
        err += d * d;
    }
    return err / (double)n;
}

static int run(int argc, char **argv) {
    const char *methods = "max,p99.9,p99.99,entropy,mse,octav", *elem = "int8", *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--method", &methods)) continue;
        if (cli_opt(argc, argv, &i, "--elem", &elem)) continue;
        if (argv[i][0] == '-' && argv[i][1]) return cli_fail(CLI_BADINPUT, "unknown option %s", argv[i]);
        if (path) return cli_fail(CLI_BADINPUT, "unexpected argument '%s'", argv[i]);
        path = argv[i];
    }
    if (!path)
        return cli_fail(CLI_BADINPUT, "usage: vsq calib [--method M[,M...]] [--elem int8] IN.npy");
    cli_matrix m;
    int rc = cli_matrix_load(path, -1, &m);
    if (rc) return rc;
    size_t n = m.rows * m.cols;
    char *copy = strdup(methods), *items[32];
    int n_methods = cli_split_commas(copy, items, 32);
    printf("%-10s %14s %10s %14s\n", "method", "clip", "clip/max", "MSE");
    float amax = 0.0f;
    for (size_t i = 0; i < n; i++) amax = fmaxf(amax, fabsf(m.x[i]));
    for (int k = 0; k < n_methods && !rc; k++) {
        char spec[160];
        snprintf(spec, sizeof spec, "%s:pt:fp32:%s", elem, items[k]);
        vsq_format fmt;
        float alpha;
        rc = cli_status(vsq_format_parse(spec, &fmt));
        if (!rc) rc = cli_status(vsq_calib_alpha(&fmt, m.x, n, &alpha));
        if (rc) break;
        printf("%-10s %14.6g %10.4f %14.6e\n", items[k], alpha, amax > 0 ? alpha / amax : 0.0,
               clip_mse(&fmt, m.x, n, alpha));
    }
    free(copy);
    cli_matrix_free(&m);
    return rc;
}

const cli_command cmd_calib = {
    "calib", run, "clip value chosen by each calibration method",
    "usage: vsq calib [--method M[,M...]] [--elem ELEM] IN.npy\n\n"
    "Prints the clip value alpha that each method picks for the whole tensor on\n"
    "the element grid ELEM (default int8; e.g. uint4, int4f), alpha relative to\n"
    "max |x|, and the resulting quantization MSE.\n"
    "Methods: max, pP (percentile, e.g. p99.99), entropy, mse, octav.\n"};
