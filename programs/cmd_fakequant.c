/* vsq fakequant: simulated quantization of a .npy tensor (paper eq. 3). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_matrix.h"

static int run(int argc, char **argv) {
    const char *spec = NULL, *val, *paths[2] = {0};
    int axis = -1, n_paths = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--fmt", &spec)) continue;
        if (cli_opt(argc, argv, &i, "--axis", &val)) {
            if (cli_parse_axis(val, &axis)) return CLI_BADINPUT;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) return cli_fail(CLI_BADINPUT, "unknown option %s", argv[i]);
        if (n_paths == 2) return cli_fail(CLI_BADINPUT, "unexpected argument '%s'", argv[i]);
        paths[n_paths++] = argv[i];
    }
    if (!spec || n_paths != 2)
        return cli_fail(CLI_BADINPUT, "usage: vsq fakequant --fmt SPEC [--axis K] IN.npy OUT.npy");
    vsq_format fmt;
    vsq_status st = vsq_format_parse(spec, &fmt);
    if (st) return cli_status(st);
    cli_matrix m;
    int rc = cli_matrix_load(paths[0], axis, &m);
    if (rc) return rc;
    size_t n = m.rows * m.cols;
    float *y = malloc(n * sizeof *y), *out = malloc(n * sizeof *out);
    if (!y || !out) rc = cli_fail(CLI_FAIL, "out of memory");
    if (!rc) rc = cli_status(vsq_fakequant(&fmt, m.x, m.rows, m.cols, m.channels, y));
    if (!rc) rc = cli_status(vsq_matrix_to_tensor(y, &m.t, axis, out));
    if (!rc) {
        vsq_tensor t = m.t;
        t.dtype = VSQ_DTYPE_F32;
        t.data = out;
        rc = cli_status(vsq_npy_save(paths[1], &t));
    }
    free(y);
    free(out);
    cli_matrix_free(&m);
    return rc;
}

const cli_command cmd_fakequant = {
    "fakequant", run, "quantize and dequantize a .npy tensor (simulated quantization)",
    "usage: vsq fakequant --fmt SPEC [--axis K] IN.npy OUT.npy\n\n"
    "Quantizes IN.npy in format SPEC (e.g. int4:v16:s6) and writes the dequantized\n"
    "float32 values, same shape, to OUT.npy (written atomically).\n"
    "  --fmt SPEC   ELEM:GRAN[:SCALE][:CALIB], see docs/formats.md\n"
    "  --axis K     vector axis (default -1, the last); the channel axis is the\n"
    "               first other axis\n"};
