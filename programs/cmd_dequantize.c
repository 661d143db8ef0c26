/* vsq dequantize: .vsq container -> float32 .npy in the original shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: vsq dequantize IN.vsq OUT.npy\n"
    "\n"
    "Read a .vsq container (written by vsq quantize; docs/container.md), rebuild\n"
    "code x scale for every element (eq. 3 / eq. 7j) and write a float32 .npy in\n"
    "the original shape and axis order, atomically. Truncated or corrupt files\n"
    "(bad CRC-32, inconsistent header) are rejected.\n"
    "Exit 0 ok, 2 bad input, 1 other failure.\n";

static int run_dequantize(int argc, char **argv) {
    const char *pos[2];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_fail(CLI_BADINPUT, "unknown option '%s' (see vsq dequantize --help)", argv[i]);
        if (npos == 2) return cli_fail(CLI_BADINPUT, "unexpected argument '%s'", argv[i]);
        pos[npos++] = argv[i];
    }
    if (npos != 2) return cli_fail(CLI_BADINPUT, "expected IN.vsq OUT.npy (see vsq dequantize --help)");

    vsq_qfile f;
    vsq_status st = vsq_container_load(pos[0], &f);
    if (st) return cli_status(st);
    size_t n = f.q.rows * f.q.cols;
    vsq_tensor t = {VSQ_DTYPE_F32, f.ndim, {0}, NULL};
    memcpy(t.shape, f.shape, sizeof t.shape);
    float *m = malloc(n * sizeof *m);
    t.data = malloc(n * sizeof(float));
    if (!m || !t.data) st = vsq_error(VSQ_ENOMEM, "out of memory (%zu elements)", n);
    if (!st) st = vsq_dequantize(&f.q, m);
    if (!st) st = vsq_matrix_to_tensor(m, &t, f.axis, t.data);
    if (!st) st = vsq_npy_save(pos[1], &t);
    free(m);
    vsq_tensor_free(&t);
    vsq_qfile_free(&f);
    return cli_status(st);
}

const cli_command cmd_dequantize = {"dequantize", run_dequantize,
                                    "decode a .vsq container to a float32 .npy", usage};
