/* models/bert/bert_task.h - the sentence-polarity probe task and the
 * format sweep (the paper's Tables 2, 3, 6-7 for a BERT encoder). */
#ifndef VSQ_MODELS_BERT_TASK_H
#define VSQ_MODELS_BERT_TASK_H

#include "models/bert/bert.h"

typedef struct {
    bert_ids train, test;
    int *ytrain, *ytest;
    int *test_index;       /* line of each test sentence in the data set */
    float *etrain, *etest; /* fp32 embeddings */
    bert_probe probe;      /* trained on etrain only */
    double lambda, cv_acc; /* chosen by 5-fold CV on the train split */
    double train_acc;
    int *pred32;           /* fp32 probe predictions on the test split */
    int correct32;
} bert_task;

typedef struct {
    int n, correct;
    double accuracy, ci_lo, ci_hi; /* percent; Wilson score 95 % interval */
    double cosine;                 /* mean cosine to the fp32 test embeddings */
    double agreement;              /* percent of predictions equal to fp32's */
    double seconds, sent_per_s;    /* wall clock */
    double cpu_seconds;            /* process CPU time (all threads): robust on a shared machine */
} bert_result;

/* Split `all` (tokenized sentences aligned with d) into train / test
 * (train_limit / test_limit of each, evenly spaced; <= 0: all), embed both in fp32
 * (m's quantization is ignored), select lambda and train the probe. */
vsq_status bert_task_setup(bert_model *m, const bert_dataset *d, const bert_ids *all,
                           int train_limit, int test_limit, bert_task *t,
                           void (*progress)(size_t, size_t));
/* Embed the test split with m as it is (fp32 or quantized) and score it;
 * *emb_out (optional) receives the embeddings. */
vsq_status bert_task_eval(const bert_model *m, const bert_task *t, bert_result *r, float **emb_out,
                          void (*progress)(size_t, size_t));
/* Score given test embeddings. */
void bert_task_score(const bert_task *t, const float *emb, int dim, bert_result *r);
void bert_task_free(bert_task *t);

/* --sweep: run the tables, write DIR/bert_NAME.{md,csv,json} for each.
 * `name` is table2|table3|table67|all, or key (a few telling rows);
 * `header` (optional) is a Markdown
 * paragraph put under each table's title (command, CPU, commit); static
 * activations are calibrated on the first `calib` train sentences. */
vsq_status bert_sweep(bert_model *m, const bert_task *t, const char *name, const char *dir,
                      const char *header, int calib);

#endif
