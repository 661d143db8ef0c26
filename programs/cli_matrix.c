/* Loading tensors for the quantization commands. */
#include "cli_matrix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_parse_axis(const char *s, int *axis) {
    long v;
    if (cli_parse_long(s, -VSQ_MAX_DIMS, VSQ_MAX_DIMS - 1, &v))
        return cli_fail(CLI_BADINPUT, "--axis '%s' is not an axis index", s);
    *axis = (int)v;
    return CLI_OK;
}

int cli_matrix_load(const char *path, int axis, cli_matrix *m) {
    memset(m, 0, sizeof *m);
    m->axis = axis;
    vsq_status st = vsq_npy_load(path, &m->t);
    if (st) return cli_status(st);
    if (vsq_tensor_numel(&m->t) == 0) {
        vsq_tensor_free(&m->t);
        return cli_fail(CLI_BADINPUT, "%s: tensor is empty", path);
    }
    st = vsq_tensor_to_matrix(&m->t, axis, &m->x, &m->rows, &m->cols, &m->channels);
    if (!st) {
        char what[600];
        snprintf(what, sizeof what, "%s", path);
        st = vsq_check_finite(m->x, m->rows * m->cols, what);
    }
    if (st) {
        int code = cli_status(st);
        cli_matrix_free(m);
        return code;
    }
    return CLI_OK;
}

void cli_matrix_free(cli_matrix *m) {
    vsq_tensor_free(&m->t);
    free(m->x);
    m->x = NULL;
}

int cli_parse_formats(const char *list, vsq_format *fmts, char names[][128], int max) {
    char *copy = strdup(list);
    if (!copy) return -1;
    char *items[64];
    int n = cli_split_commas(copy, items, max < 64 ? max : 64);
    if (n == 0) {
        free(copy);
        cli_fail(CLI_BADINPUT, "--fmt needs at least one format spec");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        vsq_status st = vsq_format_parse(items[i], &fmts[i]);
        if (st) {
            cli_status(st);
            free(copy);
            return -1;
        }
        snprintf(names[i], 128, "%s", items[i]);
    }
    free(copy);
    return n;
}
