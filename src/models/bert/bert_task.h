/* models/bert/bert_task.h - the probe task and the sweep are public API:
 * include/vsq/bert.h. */
#ifndef VSQ_MODELS_BERT_TASK_H
#define VSQ_MODELS_BERT_TASK_H
#include "models/bert/bert.h"
#endif
