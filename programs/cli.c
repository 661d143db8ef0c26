/* Shared helpers of the vsq CLI: messages, progress, option parsing. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *current_command = "";

void cli_set_command(const char *name) { current_command = name ? name : ""; }

int cli_fail(int code, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "vsq%s%s: ", *current_command ? " " : "", current_command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int cli_status(vsq_status st) {
    if (st == VSQ_OK) return CLI_OK;
    int code = (st == VSQ_ENOMEM) ? CLI_FAIL : CLI_BADINPUT;
    return cli_fail(code, "%s", vsq_last_error()[0] ? vsq_last_error() : vsq_status_name(st));
}

void cli_progress(const char *label, size_t done, size_t total) {
    static int tty = -1;
    if (tty < 0) tty = isatty(STDERR_FILENO);
    if (!tty || total == 0) return;
    int width = 30, fill = (int)((double)done / (double)total * width);
    fprintf(stderr, "\r%-16.16s [", label);
    for (int i = 0; i < width; i++) fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %zu/%zu", done, total);
    if (done >= total) fputc('\n', stderr);
    fflush(stderr);
}

const char *cli_shared_dir(void) {
    const char *env = getenv("VSQ_SHARED");
    if (env && *env) return env;
#ifdef VSQ_SHARED_DIR
    return VSQ_SHARED_DIR;
#else
    return "../shared";
#endif
}

int cli_opt(int argc, char **argv, int *i, const char *name, const char **val) {
    size_t n = strlen(name);
    const char *arg = argv[*i];
    if (strncmp(arg, name, n) != 0) return 0;
    if (arg[n] == '=') {
        *val = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0') return 0;
    if (*i + 1 >= argc) {
        cli_fail(CLI_BADINPUT, "option %s needs a value", name);
        exit(CLI_BADINPUT);
    }
    *val = argv[++*i];
    return 1;
}

int cli_parse_long(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int cli_parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int cli_split_commas(char *s, char **items, int max) {
    int n = 0;
    for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ",")) items[n++] = tok;
    return n;
}

int cli_write_text(const char *path, const char *text) {
    vsq_status st = vsq_write_atomic(path, text, strlen(text));
    return cli_status(st);
}
