/* models/cnn/onnx_int.h - internals shared by the ONNX importer's two
 * halves: onnx_load.c (protobuf, initializers, graph checks, topological
 * order) and onnx_ops.c (one translator per operator into graph nodes).
 * The parser is protobuf-c's, generated at build time from Debian
 * libonnx-dev's onnx.proto (see CMakeLists.txt). */
#ifndef VSQ_CNN_ONNX_INT_H
#define VSQ_CNN_ONNX_INT_H

#include "models/cnn/cnn.h"
#include "onnx.pb-c.h"

/* A named value of the graph: a run-time tensor (NCHW [1,C,H,W] or
 * [1,N] held as an HWC cnn_tensor) or a constant (initializer or Constant
 * node output) decoded to float or int64. */
typedef struct {
    const char *name;
    int tensor;           /* cnn tensor id, -1 for constants */
    int rank;             /* run-time tensors: 4 (NCHW) or 2 ([1, N]) */
    int producer;         /* cnn layer that wrote it, -1 otherwise */
    int readers;          /* nodes reading it (BN folding needs exactly one) */
    int is_output;        /* a graph output */
    int ndim;             /* constants: shape */
    int64_t dims[8];
    size_t numel;
    float *f;             /* FLOAT constants */
    int64_t *i64;         /* INT64 constants */
} onnx_value;

typedef struct {
    cnn_model *m;
    const char *what;     /* file name for messages */
    onnx_value *v;
    int nv, cap;
} onnx_ctx;

/* Node label for messages: "node NAME (OP)". */
const char *onnx_node_label(const Onnx__NodeProto *n, char *buf, size_t len);
onnx_value *onnx_find(onnx_ctx *c, const char *name);
/* Add a value (name must be new); NULL with an error set otherwise. */
onnx_value *onnx_define(onnx_ctx *c, const char *name);
/* Decode a TensorProto (raw_data or typed fields) into v's constant. */
vsq_status onnx_decode_tensor(onnx_ctx *c, const Onnx__TensorProto *t, onnx_value *v);

/* Translate node n (its inputs are all defined) into cnn nodes. */
vsq_status onnx_translate(onnx_ctx *c, const Onnx__NodeProto *n);

#endif
