/* vsq quantize: .npy tensor -> .vsq container (codes + scales, bit-packed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: vsq quantize --fmt SPEC [--axis K] IN.npy OUT.vsq\n"
    "\n"
    "Quantize a tensor (float32/float64/int8/uint8/int32 .npy) with the format\n"
    "SPEC (ELEM:GRAN[:SCALE][:CALIB], docs/formats.md) and write the codes and\n"
    "scales to a .vsq container (docs/container.md), atomically.\n"
    "  --axis K   vector axis (default -1: the last axis; negative counts from the end)\n"
    "Prints one line: output, format, shape, bits per element (scales included).\n"
    "Exit 0 ok, 2 bad input (file, spec, axis, NaN/Inf), 1 other failure.\n";

typedef struct {
    const char *spec, *axis, *in, *out;
} quantize_args;

static int parse_args(int argc, char **argv, quantize_args *a) {
    memset(a, 0, sizeof *a);
    a->axis = "-1";
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *val;
        if (cli_opt(argc, argv, &i, "--fmt", &val)) a->spec = val;
        else if (cli_opt(argc, argv, &i, "--axis", &val)) a->axis = val;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_fail(CLI_BADINPUT, "unknown option '%s' (see vsq quantize --help)", argv[i]);
        else if (npos == 0) a->in = argv[i], npos++;
        else if (npos == 1) a->out = argv[i], npos++;
        else return cli_fail(CLI_BADINPUT, "unexpected argument '%s'", argv[i]);
    }
    if (!a->spec) return cli_fail(CLI_BADINPUT, "missing --fmt SPEC (see vsq quantize --help)");
    if (npos != 2) return cli_fail(CLI_BADINPUT, "expected IN.npy OUT.vsq (see vsq quantize --help)");
    return CLI_OK;
}

static void shape_str(const vsq_qfile *f, char *buf, size_t size) {
    int n = snprintf(buf, size, "(");
    for (int i = 0; i < f->ndim && n < (int)size; i++)
        n += snprintf(buf + n, size - (size_t)n, "%s%zu", i ? ", " : "", f->shape[i]);
    if (n < (int)size) snprintf(buf + n, size - (size_t)n, "%s)", f->ndim == 1 ? "," : "");
}

static int run_quantize(int argc, char **argv) {
    quantize_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc;
    vsq_format fmt;
    long axis;
    if (cli_parse_long(a.axis, -VSQ_MAX_DIMS, VSQ_MAX_DIMS - 1, &axis))
        return cli_fail(CLI_BADINPUT, "--axis '%s' is not an integer in -%d..%d", a.axis,
                        VSQ_MAX_DIMS, VSQ_MAX_DIMS - 1);
    vsq_status st = vsq_format_parse(a.spec, &fmt);
    if (st) return cli_status(st);

    vsq_tensor t;
    if ((st = vsq_npy_load(a.in, &t))) return cli_status(st);
    if (vsq_tensor_numel(&t) == 0) {
        vsq_tensor_free(&t);
        return cli_fail(CLI_BADINPUT, "'%s' is empty: nothing to quantize", a.in);
    }
    float *m = NULL;
    size_t rows, cols, channels;
    vsq_qfile f = {0};
    st = vsq_tensor_to_matrix(&t, (int)axis, &m, &rows, &cols, &channels);
    if (!st) st = vsq_check_finite(m, rows * cols, a.in);
    if (!st) st = vsq_quantize(&fmt, m, rows, cols, channels, &f.q);
    if (!st) {
        f.ndim = t.ndim;
        memcpy(f.shape, t.shape, sizeof f.shape);
        f.axis = (int)axis;
        st = vsq_container_save(a.out, &f);
    }
    free(m);
    if (st) {
        vsq_qtensor_free(&f.q);
        vsq_tensor_free(&t);
        return cli_status(st);
    }
    char spec[160], shape[256];
    vsq_format_str(&fmt, spec, sizeof spec);
    shape_str(&f, shape, sizeof shape);
    printf("%s: %s, shape %s, axis %ld, %.4f bits/element\n", a.out, spec, shape, axis,
           vsq_format_bits_per_elem(&fmt, rows, cols, channels));
    vsq_qtensor_free(&f.q);
    vsq_tensor_free(&t);
    return CLI_OK;
}

const cli_command cmd_quantize = {"quantize", run_quantize,
                                  "quantize a .npy tensor into a .vsq container", usage};
