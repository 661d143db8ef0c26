/* programs/cli_matrix.h - load a .npy file as the matrix view quantizers use. */
#ifndef VSQ_CLI_MATRIX_H
#define VSQ_CLI_MATRIX_H

#include "vsq/vsq.h"

typedef struct {
    vsq_tensor t;     /* as loaded */
    int axis;         /* vector axis */
    float *x;         /* rows x cols, vector axis last */
    size_t rows, cols, channels;
} cli_matrix;

/* Load, reject NaN/Inf (naming the file), move the axis last.
 * Returns a CLI exit code (0 on success) and prints the error. */
int cli_matrix_load(const char *path, int axis, cli_matrix *m);
void cli_matrix_free(cli_matrix *m);

/* Parse "--axis K" values: integer, negative counts from the end. */
int cli_parse_axis(const char *s, int *axis);

/* Parse a comma-separated list of specs; returns count or -1 (error printed). */
int cli_parse_formats(const char *list, vsq_format *fmts, char names[][128], int max);

#endif
