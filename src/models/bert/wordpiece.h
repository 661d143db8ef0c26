/* models/bert/wordpiece.h - the WordPiece tokenizer is public API: include/vsq/wordpiece.h. */
#ifndef VSQ_MODELS_BERT_WORDPIECE_H
#define VSQ_MODELS_BERT_WORDPIECE_H
#include "vsq/wordpiece.h"
#endif
