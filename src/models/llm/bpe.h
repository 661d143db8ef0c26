/* models/llm/bpe.h - the byte-level BPE tokenizer is public API: include/vsq/bpe.h. */
#ifndef VSQ_MODELS_LLM_BPE_H
#define VSQ_MODELS_LLM_BPE_H
#include "vsq/bpe.h"
#endif
