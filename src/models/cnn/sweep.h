/* models/cnn/sweep.h - the paper's Table 2-5 analogues for a CNN. */
#ifndef VSQ_CNN_SWEEP_H
#define VSQ_CNN_SWEEP_H

#include "models/cnn/cnn.h"

/* name: table2|table3|table4|table5|variants|all. Writes DIR/cnn_NAME.{md,csv,json}.
 * desc names the model and its preprocessing in the tables (no quotes).
 * Static (per-tensor) activation configs calibrate on images [0, calib) and
 * every configuration is evaluated on [calib, n). Returns a vsq_status. */
int cnn_sweep(cnn_model *m, const cnn_dataset *d, const char *name, const char *dir, int threads,
              int calib, const char *desc);

#endif
