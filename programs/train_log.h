/* programs/train_log.h - what vsq train and vsq qat share: the data sets,
 * the per-epoch progress line, the run environment for JSON logs, and the
 * per-epoch CSV / JSON / SVG outputs. */
#ifndef VSQ_TRAIN_LOG_H
#define VSQ_TRAIN_LOG_H

#include <cjson/cJSON.h>
#include "vsq/train.h"

typedef struct {
    int epoch;        /* 0 = before training (PTQ row of vsq qat) */
    tr_epoch_log log; /* zero for epoch 0 */
    double test_acc;
} tl_row;

/* Load Fashion-MNIST train and test sets (dir NULL = default). */
int tl_load_data(const char *dir, tr_dataset *train, tr_dataset *test);
/* tr_progress_fn: "epoch E/N [###...] done/total loss acc img/s" on a tty. */
void tl_progress(void *ctx, int epoch, size_t done, size_t total, double loss, double acc, double ips);
/* commit, CPU model, threads, UTC time into obj. */
void tl_add_env(cJSON *obj);
/* fp32 FMA rate of one core per second of its CPU time (AVX2 peak loop of
 * src/kernels; 0 without AVX2/FMA): the speed baseline of training,
 * robust on a shared machine because both sides count CPU time. */
double tl_fma_gflops_per_cpu_s(void);
cJSON *tl_rows_json(const tl_row *rows, int n);
/* CSV "epoch,loss,train_acc,test_acc,images_per_s,seconds,lr_end". */
int tl_write_csv(const char *path, const tl_row *rows, int n);
int tl_write_json(const char *path, cJSON *root);
/* Accuracy-vs-epoch plot of one or more runs. */
int tl_write_svg(const char *path, const char *title, const char *const *labels,
                 const tl_row *const *rows, const int *n, int n_series);

/* Options shared by vsq train and vsq qat (cmd_train.c): 1 consumed,
 * 0 not ours, -1 bad value (message printed). */
int train_common_opt(int argc, char **argv, int *i, tr_opts *t, const char **data);
void train_opts_json(cJSON *o, const tr_opts *t);

#endif
