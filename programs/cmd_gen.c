/* vsq gen: write a synthetic float32 tensor (for trying formats, tests and
 * the results in docs/results/core.md). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vsq/rng.h"

static int parse_shape(const char *s, vsq_tensor *t) {
    char *copy = strdup(s), *items[VSQ_MAX_DIMS + 1];
    int n = cli_split_commas(copy, items, VSQ_MAX_DIMS + 1), rc = CLI_OK;
    if (n < 1 || n > VSQ_MAX_DIMS) rc = cli_fail(CLI_BADINPUT, "--shape '%s': 1 to %d dims", s, VSQ_MAX_DIMS);
    size_t total = 1;
    for (int i = 0; i < n && !rc; i++) {
        long d;
        if (cli_parse_long(items[i], 1, 1L << 30, &d))
            rc = cli_fail(CLI_BADINPUT, "--shape '%s': dimension '%s' is not 1..2^30", s, items[i]);
        else if ((total *= (size_t)d) > (1ul << 31))
            rc = cli_fail(CLI_BADINPUT, "--shape '%s': more than 2^31 elements", s);
        else
            t->shape[i] = (size_t)d;
    }
    t->ndim = n;
    free(copy);
    return rc;
}

static int run(int argc, char **argv) {
    const char *dist = "gauss", *shape = NULL, *seed_s = "1", *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--dist", &dist)) continue;
        if (cli_opt(argc, argv, &i, "--shape", &shape)) continue;
        if (cli_opt(argc, argv, &i, "--seed", &seed_s)) continue;
        if (argv[i][0] == '-' && argv[i][1]) return cli_fail(CLI_BADINPUT, "unknown option %s", argv[i]);
        if (path) return cli_fail(CLI_BADINPUT, "unexpected argument '%s'", argv[i]);
        path = argv[i];
    }
    if (!shape || !path)
        return cli_fail(CLI_BADINPUT, "usage: vsq gen --shape D0,D1,... [--dist D] [--seed S] OUT.npy");
    int d = !strcmp(dist, "gauss") ? VSQ_DIST_GAUSS : !strcmp(dist, "student-t4") ? VSQ_DIST_STUDENT4
            : !strcmp(dist, "outliers") ? VSQ_DIST_OUTLIERS : -1;
    if (d < 0) return cli_fail(CLI_BADINPUT, "--dist '%s' is not gauss, student-t4 or outliers", dist);
    long seed;
    if (cli_parse_long(seed_s, 1, 0x7fffffffL, &seed)) return cli_fail(CLI_BADINPUT, "--seed '%s' is not 1..2^31-1", seed_s);
    vsq_tensor t = {VSQ_DTYPE_F32, 0, {0}, NULL};
    if (parse_shape(shape, &t)) return CLI_BADINPUT;
    size_t n = vsq_tensor_numel(&t);
    if (!(t.data = malloc(n * sizeof(float)))) return cli_fail(CLI_FAIL, "out of memory");
    vsq_rng r = {(uint64_t)seed * 0x9E3779B97F4A7C15ull};
    vsq_rng_fill(&r, t.data, n, d);
    int rc = cli_status(vsq_npy_save(path, &t));
    free(t.data);
    return rc;
}

const cli_command cmd_gen = {
    "gen", run, "write a synthetic float32 tensor (Gaussian, Student-t, outliers)",
    "usage: vsq gen --shape D0,D1,... [--dist gauss|student-t4|outliers] [--seed S] OUT.npy\n\n"
    "Deterministic for a given seed. 'outliers' is Gaussian with 0.2 % of the\n"
    "values scaled by 40.\n"};
