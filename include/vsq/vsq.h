/* vsq/vsq.h - libvsq public API: per-vector scaled quantization (VS-Quant,
 * Dai et al., MLSys 2021). Include this one header. */
#ifndef VSQ_VSQ_H
#define VSQ_VSQ_H

#define VSQ_VERSION_MAJOR 0
#define VSQ_VERSION_MINOR 1
#define VSQ_VERSION_PATCH 0
#define VSQ_VERSION_STRING "0.1.0"

#include "vsq/error.h"
#include "vsq/format.h"
#include "vsq/quant.h"
#include "vsq/calib.h"
#include "vsq/mac.h"
#include "vsq/tensor.h"
#include "vsq/container.h"
#include "vsq/safetensors.h"
#include "vsq/gguf.h"
#include "vsq/kernels.h"
#include "vsq/bench.h"
#include "vsq/rng.h"
#include "vsq/hw.h"
#include "vsq/wordpiece.h"
#include "vsq/bpe.h"
#include "vsq/cnn.h"
#include "vsq/llm.h"
#include "vsq/bert.h"
#include "vsq/train.h"

#endif
