/* programs/cli.h - shared helpers of the vsq command-line tool. */
#ifndef VSQ_CLI_H
#define VSQ_CLI_H

#include <stddef.h>
#include "vsq/vsq.h"

/* Exit codes: 0 success, 2 bad input (file, flag, spec), 1 other failure. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_BADINPUT = 2 };

/* Print "vsq CMD: message" on stderr and return `code`. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report a libvsq failure (vsq_last_error) and map it to an exit code. */
int cli_status(vsq_status st);

/* Name of the running subcommand, for messages. */
void cli_set_command(const char *name);

/* Progress on stderr, only when stderr is a terminal. Call with
 * done == total to finish the line. */
void cli_progress(const char *label, size_t done, size_t total);

/* ../shared folder: $VSQ_SHARED, else the path compiled in. */
const char *cli_shared_dir(void);

/* Simple option scanning: returns 1 and sets *val if argv[*i] is `name`
 * followed by a value (advances *i), or `name=value`. */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **val);

/* Parse numbers strictly (whole string). Return 0 on success. */
int cli_parse_long(const char *s, long lo, long hi, long *out);
int cli_parse_double(const char *s, double *out);

/* Split a comma-separated list in place; returns count (<= max). */
int cli_split_commas(char *s, char **items, int max);

/* Write text atomically to `path`. */
int cli_write_text(const char *path, const char *text);

/* Each subcommand: int cmd_NAME(int argc, char **argv), argv[0] = name. */
typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *usage; /* full help text */
} cli_command;

#endif
