/* Shared by vsq train and vsq qat: data, progress, logs. */
#include "train_log.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "vsq/bench.h"

int tl_load_data(const char *dir, tr_dataset *train, tr_dataset *test) {
    *test = (tr_dataset){0};
    vsq_status st = tr_fmnist_load(dir, "train", train);
    if (!st) st = tr_fmnist_load(dir, "t10k", test);
    if (st) {
        tr_dataset_free(train), tr_dataset_free(test);
        return cli_status(st);
    }
    return 0;
}

void tl_progress(void *ctx, int epoch, size_t done, size_t total, double loss, double acc, double ips) {
    static int tty = -1;
    if (tty < 0) tty = isatty(STDERR_FILENO);
    if (!tty) return;
    const int *n_epochs = ctx;
    char label[64];
    snprintf(label, sizeof label, "epoch %d/%d", epoch + 1, *n_epochs);
    if (done < total && done % 2048 >= 64 && done != 64) return; /* a few updates per epoch */
    cli_progress(label, done, total);
    if (done < total) fprintf(stderr, "  loss %.4f acc %.2f%% %.0f img/s   ", loss, 100 * acc, ips);
}

static void run_text(const char *cmd, char *out, size_t size) {
    snprintf(out, size, "unknown");
    FILE *p = popen(cmd, "r");
    if (!p) return;
    if (fgets(out, (int)size, p)) out[strcspn(out, "\n")] = 0;
    else snprintf(out, size, "unknown");
    pclose(p);
}

void tl_add_env(cJSON *obj) {
    char commit[64], cpu[256], date[64];
    run_text("git rev-parse --short HEAD 2>/dev/null", commit, sizeof commit);
    run_text("grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//'", cpu, sizeof cpu);
    time_t t = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    cJSON_AddStringToObject(obj, "commit", commit);
    cJSON_AddStringToObject(obj, "cpu", cpu);
    cJSON_AddNumberToObject(obj, "threads", omp_get_max_threads());
    cJSON_AddStringToObject(obj, "date", date);
}

double tl_fma_gflops_per_cpu_s(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
    struct timespec a, b;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    double flops = vsq_peak_fma_avx2(100000000L);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    return flops / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9) / 1e9;
}

cJSON *tl_rows_json(const tl_row *rows, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "epoch", rows[i].epoch);
        cJSON_AddNumberToObject(r, "test_acc", rows[i].test_acc);
        if (rows[i].epoch > 0) {
            cJSON_AddNumberToObject(r, "loss", rows[i].log.loss);
            cJSON_AddNumberToObject(r, "train_acc", rows[i].log.train_acc);
            cJSON_AddNumberToObject(r, "images_per_s", rows[i].log.images_per_s);
            cJSON_AddNumberToObject(r, "seconds", rows[i].log.seconds);
            cJSON_AddNumberToObject(r, "cpu_seconds", rows[i].log.cpu_seconds);
            cJSON_AddNumberToObject(r, "lr_end", rows[i].log.lr_end);
        }
        cJSON_AddItemToArray(a, r);
    }
    return a;
}

int tl_write_csv(const char *path, const tl_row *rows, int n) {
    size_t cap = 128 + (size_t)n * 160, len = 0;
    char *buf = malloc(cap);
    if (!buf) return cli_fail(CLI_FAIL, "no memory");
    len += (size_t)snprintf(buf, cap, "epoch,loss,train_acc,test_acc,images_per_s,seconds,cpu_seconds,lr_end\n");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%d,%.6f,%.6f,%.6f,%.1f,%.2f,%.2f,%.6g\n", rows[i].epoch,
                                rows[i].log.loss, rows[i].log.train_acc, rows[i].test_acc,
                                rows[i].log.images_per_s, rows[i].log.seconds, rows[i].log.cpu_seconds, rows[i].log.lr_end);
    int rc = cli_write_text(path, buf);
    free(buf);
    return rc;
}

int tl_write_json(const char *path, cJSON *root) {
    char *s = cJSON_Print(root);
    if (!s) return cli_fail(CLI_FAIL, "no memory");
    int rc = cli_write_text(path, s);
    free(s);
    return rc;
}

int tl_write_svg(const char *path, const char *title, const char *const *labels,
                 const tl_row *const *rows, const int *n, int n_series) {
    tr_series *s = calloc((size_t)n_series, sizeof *s);
    double **y = calloc((size_t)n_series, sizeof *y);
    int rc = 0;
    for (int i = 0; i < n_series; i++) {
        y[i] = malloc(sizeof(double) * (size_t)(n[i] + 1));
        for (int j = 0; j < n[i]; j++) y[i][j] = 100 * rows[i][j].test_acc;
        s[i] = (tr_series){labels[i], y[i], n[i]};
    }
    vsq_status st = tr_svg_lines(path, title, "epoch", "test accuracy %", rows[0][0].epoch, s, n_series);
    if (st) rc = cli_status(st);
    for (int i = 0; i < n_series; i++) free(y[i]);
    free(y), free(s);
    return rc;
}
