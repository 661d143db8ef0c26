/* tests/onnx_gen.h - writes small ONNX models at test time with the
 * protobuf-c structs generated from onnx.proto (the same schema the
 * importer reads, but serialised here, not parsed): a node list, float /
 * int64 initializers (raw_data or typed fields), one NCHW input, one
 * output. Used by test_onnx.c and fuzz/make_seeds.c. Header-only. */
#ifndef VSQ_TESTS_ONNX_GEN_H
#define VSQ_TESTS_ONNX_GEN_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"

#define GEN_MAX 256

typedef struct {
    Onnx__NodeProto *node[GEN_MAX];
    int n_node;
    Onnx__TensorProto *init[GEN_MAX];
    int n_init;
    void *mem[8 * GEN_MAX]; /* everything allocated, freed by gen_free */
    int n_mem;
} onnx_gen;

static inline void *gen_alloc(onnx_gen *g, size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (!p || g->n_mem == 8 * GEN_MAX) abort();
    g->mem[g->n_mem++] = p;
    return p;
}

static inline char *gen_str(onnx_gen *g, const char *s) {
    char *p = gen_alloc(g, strlen(s) + 1);
    memcpy(p, s, strlen(s));
    return p;
}

static inline char **gen_strs(onnx_gen *g, const char *const *s, int n) {
    char **p = gen_alloc(g, sizeof(char *) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) p[i] = gen_str(g, s[i]);
    return p;
}

/* Node `op` named `name` with inputs / outputs ("" = absent optional input). */
static inline Onnx__NodeProto *gen_node(onnx_gen *g, const char *op, const char *name, const char *const *in, int n_in,
                                 const char *const *out, int n_out) {
    Onnx__NodeProto *n = gen_alloc(g, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = gen_str(g, op);
    n->name = gen_str(g, name);
    n->input = gen_strs(g, in, n_in), n->n_input = (size_t)n_in;
    n->output = gen_strs(g, out, n_out), n->n_output = (size_t)n_out;
    n->attribute = gen_alloc(g, sizeof(Onnx__AttributeProto *) * 16);
    if (g->n_node == GEN_MAX) abort();
    g->node[g->n_node++] = n;
    return n;
}

static inline Onnx__AttributeProto *gen_attr(onnx_gen *g, Onnx__NodeProto *n, const char *name,
                                      Onnx__AttributeProto__AttributeType type) {
    Onnx__AttributeProto *a = gen_alloc(g, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = gen_str(g, name);
    a->has_type = 1, a->type = type;
    if (n->n_attribute == 16) abort();
    n->attribute[n->n_attribute++] = a;
    return a;
}

static inline void gen_attr_int(onnx_gen *g, Onnx__NodeProto *n, const char *name, int64_t v) {
    Onnx__AttributeProto *a = gen_attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1, a->i = v;
}

static inline void gen_attr_float(onnx_gen *g, Onnx__NodeProto *n, const char *name, float v) {
    Onnx__AttributeProto *a = gen_attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1, a->f = v;
}

static inline void gen_attr_ints(onnx_gen *g, Onnx__NodeProto *n, const char *name, const int64_t *v, int k) {
    Onnx__AttributeProto *a = gen_attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->ints = gen_alloc(g, sizeof(int64_t) * (size_t)k), a->n_ints = (size_t)k;
    memcpy(a->ints, v, sizeof(int64_t) * (size_t)k);
}

static inline void gen_attr_str(onnx_gen *g, Onnx__NodeProto *n, const char *name, const char *v) {
    Onnx__AttributeProto *a = gen_attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1, a->s.len = strlen(v), a->s.data = (uint8_t *)gen_str(g, v);
}

static inline Onnx__TensorProto *gen_tensor(onnx_gen *g, const char *name, const int64_t *dims, int nd) {
    Onnx__TensorProto *t = gen_alloc(g, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = gen_str(g, name);
    t->dims = gen_alloc(g, sizeof(int64_t) * (size_t)(nd + 1)), t->n_dims = (size_t)nd;
    memcpy(t->dims, dims, sizeof(int64_t) * (size_t)nd);
    if (g->n_init == GEN_MAX) abort();
    g->init[g->n_init++] = t;
    return t;
}

/* Float initializer; raw: little-endian raw_data, else float_data. */
static inline Onnx__TensorProto *gen_init_f(onnx_gen *g, const char *name, const int64_t *dims, int nd, const float *v,
                                     size_t n, int raw) {
    Onnx__TensorProto *t = gen_tensor(g, name, dims, nd);
    t->has_data_type = 1, t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    if (raw) {
        t->has_raw_data = 1, t->raw_data.len = 4 * n, t->raw_data.data = gen_alloc(g, 4 * n);
        for (size_t i = 0; i < n; i++) {
            uint32_t u;
            memcpy(&u, &v[i], 4);
            for (int b = 0; b < 4; b++) t->raw_data.data[4 * i + b] = (uint8_t)(u >> (8 * b));
        }
    } else {
        t->float_data = gen_alloc(g, 4 * n), t->n_float_data = n;
        memcpy(t->float_data, v, 4 * n);
    }
    return t;
}

static inline void gen_init_i64(onnx_gen *g, const char *name, const int64_t *v, int n) {
    int64_t dims[1] = {n};
    Onnx__TensorProto *t = gen_tensor(g, name, dims, 1);
    t->has_data_type = 1, t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    t->int64_data = gen_alloc(g, sizeof(int64_t) * (size_t)n), t->n_int64_data = (size_t)n;
    memcpy(t->int64_data, v, sizeof(int64_t) * (size_t)n);
}

static inline Onnx__ValueInfoProto *gen_value_info(onnx_gen *g, const char *name, const int64_t *dims, int nd) {
    Onnx__ValueInfoProto *v = gen_alloc(g, sizeof *v);
    onnx__value_info_proto__init(v);
    v->name = gen_str(g, name);
    Onnx__TypeProto *tp = gen_alloc(g, sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = gen_alloc(g, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1, tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    Onnx__TensorShapeProto *sh = gen_alloc(g, sizeof *sh);
    onnx__tensor_shape_proto__init(sh);
    sh->dim = gen_alloc(g, sizeof(void *) * (size_t)nd), sh->n_dim = (size_t)nd;
    for (int i = 0; i < nd; i++) {
        Onnx__TensorShapeProto__Dimension *d = gen_alloc(g, sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE, d->dim_value = dims[i];
        sh->dim[i] = d;
    }
    tt->shape = sh;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, tp->tensor_type = tt;
    v->type = tp;
    return v;
}

/* Serialise: nodes in the order given by perm (NULL: as added), input
 * [1, c, h, w], output [1, n_out]. Returns a malloc'd buffer. */
static inline uint8_t *gen_pack(onnx_gen *g, const int *perm, const char *in, int c, int h, int w, const char *out, int n_out,
                         size_t *len) {
    Onnx__GraphProto gr;
    onnx__graph_proto__init(&gr);
    gr.name = gen_str(g, "generated");
    Onnx__NodeProto **nodes = gen_alloc(g, sizeof(void *) * (size_t)(g->n_node + 1));
    for (int i = 0; i < g->n_node; i++) nodes[i] = g->node[perm ? perm[i] : i];
    gr.node = nodes, gr.n_node = (size_t)g->n_node;
    gr.initializer = g->init, gr.n_initializer = (size_t)g->n_init;
    int64_t idims[4] = {1, c, h, w}, odims[2] = {1, n_out};
    Onnx__ValueInfoProto *vi = gen_value_info(g, in, idims, 4), *vo = gen_value_info(g, out, odims, 2);
    gr.input = &vi, gr.n_input = 1;
    gr.output = &vo, gr.n_output = 1;
    Onnx__OperatorSetIdProto ops;
    onnx__operator_set_id_proto__init(&ops);
    ops.domain = gen_str(g, ""), ops.has_version = 1, ops.version = 13;
    Onnx__OperatorSetIdProto *opp = &ops;
    Onnx__ModelProto m;
    onnx__model_proto__init(&m);
    m.has_ir_version = 1, m.ir_version = 7;
    m.producer_name = gen_str(g, "vsquant tests/onnx_gen.h");
    m.graph = &gr;
    m.opset_import = &opp, m.n_opset_import = 1;
    *len = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = malloc(*len + 1);
    if (!buf) abort();
    onnx__model_proto__pack(&m, buf);
    return buf;
}

static inline void gen_free(onnx_gen *g) {
    for (int i = 0; i < g->n_mem; i++) free(g->mem[i]);
    memset(g, 0, sizeof *g);
}

#endif
