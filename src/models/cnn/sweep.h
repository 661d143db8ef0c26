/* models/cnn/sweep.h - cnn_sweep is public API: include/vsq/cnn.h. */
#ifndef VSQ_CNN_SWEEP_H
#define VSQ_CNN_SWEEP_H
#include "models/cnn/cnn.h"
#endif
