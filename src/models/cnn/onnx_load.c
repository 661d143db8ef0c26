/* The ONNX front end: unpack the ModelProto with protobuf-c, decode the
 * initializers, check the graph (every value defined exactly once, every
 * input defined, no cycles), order the nodes topologically (Kahn) and hand
 * each node to its translator (onnx_ops.c), which infers and checks shapes.
 * ONNX is NCHW; the runtime is HWC, so the translators permute weights
 * once at load time and activations never need a transpose. */
#include "models/cnn/onnx_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_ELEMS ((size_t)1 << 31) /* per constant: 8 GiB of floats is no CNN */

const char *onnx_node_label(const Onnx__NodeProto *n, char *buf, size_t len) {
    snprintf(buf, len, "node '%.80s' (%.40s)", n->name && n->name[0] ? n->name : (n->n_output ? n->output[0] : "?"),
             n->op_type ? n->op_type : "?");
    return buf;
}

onnx_value *onnx_find(onnx_ctx *c, const char *name) {
    for (int i = 0; i < c->nv; i++)
        if (!strcmp(c->v[i].name, name)) return &c->v[i];
    return NULL;
}

onnx_value *onnx_define(onnx_ctx *c, const char *name) {
    if (!name || !name[0]) { vsq_error(VSQ_EFORMAT, "%s: a value without a name", c->what); return NULL; }
    if (onnx_find(c, name)) { vsq_error(VSQ_EFORMAT, "%s: value '%.80s' is defined more than once", c->what, name); return NULL; }
    if (c->nv == c->cap) {
        int cap = c->cap ? 2 * c->cap : 256;
        onnx_value *v = realloc(c->v, (size_t)cap * sizeof *v);
        if (!v) { vsq_error(VSQ_ENOMEM, "%s: no memory for values", c->what); return NULL; }
        c->v = v, c->cap = cap;
    }
    onnx_value *v = &c->v[c->nv++];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->tensor = v->producer = -1;
    return v;
}

/* Element count of dims, overflow-checked and capped. */
static vsq_status count_elems(onnx_ctx *c, const Onnx__TensorProto *t, size_t *n) {
    if (t->n_dims > 8) return vsq_error(VSQ_EUNSUPPORTED, "%s: tensor '%.80s' has %zu dims", c->what, t->name, t->n_dims);
    size_t e = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || (uint64_t)t->dims[i] > MAX_ELEMS || (t->dims[i] && e > MAX_ELEMS / (size_t)t->dims[i]))
            return vsq_error(VSQ_EFORMAT, "%s: tensor '%.80s' has a bad or huge shape", c->what, t->name);
        e *= (size_t)t->dims[i];
    }
    *n = e;
    return VSQ_OK;
}

static vsq_status decode_float(onnx_ctx *c, const Onnx__TensorProto *t, onnx_value *v) {
    const char *nm = t->name ? t->name : "?";
    if (t->has_raw_data) {
        if (t->raw_data.len != v->numel * sizeof(float))
            return vsq_error(VSQ_EFORMAT, "%s: initializer '%.80s' holds %zu bytes, its shape needs %zu", c->what, nm,
                             t->raw_data.len, v->numel * sizeof(float));
    } else if (t->n_float_data != v->numel) {
        return vsq_error(VSQ_EFORMAT, "%s: initializer '%.80s' holds %zu floats, its shape needs %zu", c->what, nm,
                         t->n_float_data, v->numel);
    }
    v->f = malloc((v->numel + 1) * sizeof(float));
    if (!v->f) return vsq_error(VSQ_ENOMEM, "%s: no memory for initializer '%.80s'", c->what, nm);
    for (size_t i = 0; i < v->numel; i++) {
        if (t->has_raw_data) { /* little-endian IEEE, byte by byte (no alignment assumed) */
            const uint8_t *p = t->raw_data.data + 4 * i;
            uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            memcpy(&v->f[i], &u, 4);
        } else {
            v->f[i] = t->float_data[i];
        }
        if (!isfinite(v->f[i]))
            return vsq_error(VSQ_ENONFINITE, "%s: initializer '%.80s'[%zu] is not finite", c->what, nm, i);
    }
    return VSQ_OK;
}

static vsq_status decode_int64(onnx_ctx *c, const Onnx__TensorProto *t, onnx_value *v) {
    const char *nm = t->name ? t->name : "?";
    size_t have = t->has_raw_data ? t->raw_data.len : t->n_int64_data * 8;
    if (have != v->numel * 8)
        return vsq_error(VSQ_EFORMAT, "%s: initializer '%.80s' holds %zu bytes, its shape needs %zu", c->what, nm, have,
                         v->numel * 8);
    v->i64 = malloc((v->numel + 1) * sizeof(int64_t));
    if (!v->i64) return vsq_error(VSQ_ENOMEM, "%s: no memory for initializer '%.80s'", c->what, nm);
    for (size_t i = 0; i < v->numel; i++) {
        if (!t->has_raw_data) { v->i64[i] = t->int64_data[i]; continue; }
        uint64_t u = 0;
        for (int b = 7; b >= 0; b--) u = u << 8 | t->raw_data.data[8 * i + b];
        memcpy(&v->i64[i], &u, 8);
    }
    return VSQ_OK;
}

vsq_status onnx_decode_tensor(onnx_ctx *c, const Onnx__TensorProto *t, onnx_value *v) {
    const char *nm = t->name ? t->name : "?";
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return vsq_error(VSQ_EUNSUPPORTED, "%s: initializer '%.80s' uses external data", c->what, nm);
    if (t->segment) return vsq_error(VSQ_EUNSUPPORTED, "%s: initializer '%.80s' is segmented", c->what, nm);
    vsq_status st = count_elems(c, t, &v->numel);
    if (st) return st;
    v->ndim = (int)t->n_dims;
    for (size_t i = 0; i < t->n_dims; i++) v->dims[i] = t->dims[i];
    int type = t->has_data_type ? t->data_type : 0;
    if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) return decode_float(c, t, v);
    if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) return decode_int64(c, t, v);
    return vsq_error(VSQ_EUNSUPPORTED, "%s: initializer '%.80s' has data type %d (only float32 and int64)", c->what, nm,
                     type);
}

/* The one graph input that is not an initializer: float [1|N, C, H, W]. */
static vsq_status define_input(onnx_ctx *c, const Onnx__GraphProto *g) {
    const Onnx__ValueInfoProto *in = NULL;
    for (size_t i = 0; i < g->n_input; i++) {
        const onnx_value *v = g->input[i]->name ? onnx_find(c, g->input[i]->name) : NULL;
        if (v && v->tensor < 0) continue; /* an initializer listed as input (IR < 4) */
        if (in) return vsq_error(VSQ_EUNSUPPORTED, "%s: more than one graph input ('%.80s', '%.80s')", c->what, in->name, g->input[i]->name);
        in = g->input[i];
    }
    if (!in) return vsq_error(VSQ_EFORMAT, "%s: the graph has no input", c->what);
    const Onnx__TypeProto *tp = in->type;
    const Onnx__TypeProto__Tensor *tt = tp ? tp->tensor_type : NULL;
    if (!tt || !tt->has_elem_type || tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || !tt->shape ||
        tt->shape->n_dim != 4)
        return vsq_error(VSQ_EUNSUPPORTED, "%s: input '%.80s' must be a float32 NCHW tensor of rank 4", c->what, in->name);
    int64_t d[4];
    for (int i = 0; i < 4; i++) {
        const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[i];
        int known = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d[i] = known ? dim->dim_value : (i == 0 ? 1 : -1); /* a symbolic batch is 1 */
    }
    if (d[0] != 1 || d[1] < 1 || d[1] > 4096 || d[2] < 1 || d[2] > 4096 || d[3] < 1 || d[3] > 4096 ||
        d[1] * d[2] * d[3] > ((int64_t)1 << 28))
        return vsq_error(VSQ_EUNSUPPORTED, "%s: input '%.80s' must be [1, C, H, W] with known C, H, W (up to 4096, 2^28 in all)",
                         c->what, in->name);
    onnx_value *v = onnx_define(c, in->name);
    if (!v) return VSQ_EFORMAT;
    c->m->in_c = (int)d[1], c->m->in_h = (int)d[2], c->m->in_w = (int)d[3];
    v->tensor = cnn_model_add_tensor(c->m, c->m->in_h, c->m->in_w, c->m->in_c, 0);
    v->rank = 4;
    return v->tensor < 0 ? vsq_error(VSQ_ENOMEM, "%s: no memory", c->what) : VSQ_OK;
}

static vsq_status define_initializers(onnx_ctx *c, const Onnx__GraphProto *g) {
    if (g->n_sparse_initializer) return vsq_error(VSQ_EUNSUPPORTED, "%s: sparse initializers", c->what);
    for (size_t i = 0; i < g->n_initializer; i++) {
        onnx_value *v = onnx_define(c, g->initializer[i]->name);
        if (!v) return vsq_last_error()[0] ? VSQ_EFORMAT : VSQ_ENOMEM;
        vsq_status st = onnx_decode_tensor(c, g->initializer[i], v);
        if (st) return st;
    }
    return VSQ_OK;
}

/* Index of the node producing `name` among nodes, or -1. */
static int producer_of(const Onnx__GraphProto *g, const char *name) {
    for (size_t i = 0; i < g->n_node; i++)
        for (size_t j = 0; j < g->node[i]->n_output; j++)
            if (!strcmp(g->node[i]->output[j], name)) return (int)i;
    return -1;
}

/* Kahn's algorithm over node -> node edges; fails on dangling inputs,
 * doubly defined outputs and cycles. order[] receives node indices. */
static vsq_status topo_order(onnx_ctx *c, const Onnx__GraphProto *g, int *order) {
    size_t n = g->n_node;
    int *deg = calloc(n + 1, sizeof *deg), *prod = NULL;
    size_t n_edges = 0;
    for (size_t i = 0; i < n; i++) n_edges += g->node[i]->n_input;
    prod = malloc((n_edges + 1) * sizeof *prod);
    char lab[160];
    vsq_status st = deg && prod ? VSQ_OK : vsq_error(VSQ_ENOMEM, "%s: no memory", c->what);
    for (size_t i = 0; !st && i < n; i++) { /* every output defined once */
        const Onnx__NodeProto *nd = g->node[i];
        for (size_t j = 0; !st && j < nd->n_output; j++) {
            const char *o = nd->output[j];
            if (o[0] && (onnx_find(c, o) || producer_of(g, o) != (int)i))
                st = vsq_error(VSQ_EFORMAT, "%s: %s: output '%.80s' is defined more than once", c->what,
                               onnx_node_label(nd, lab, sizeof lab), o);
            for (size_t k = 0; !st && k < j; k++)
                if (o[0] && !strcmp(nd->output[k], o))
                    st = vsq_error(VSQ_EFORMAT, "%s: %s: output '%.80s' is defined more than once", c->what,
                                   onnx_node_label(nd, lab, sizeof lab), o);
        }
    }
    for (size_t i = 0, e = 0; !st && i < n; i++) { /* then every input has a definition */
        const Onnx__NodeProto *nd = g->node[i];
        for (size_t j = 0; !st && j < nd->n_input; j++, e++) {
            const char *in = nd->input[j];
            prod[e] = in[0] ? producer_of(g, in) : -1;
            if (in[0] && prod[e] < 0 && !onnx_find(c, in))
                st = vsq_error(VSQ_EFORMAT, "%s: %s: input '%.80s' is not defined by any node, initializer or graph input",
                               c->what, onnx_node_label(nd, lab, sizeof lab), in);
            if (prod[e] >= 0) deg[i]++;
        }
    }
    size_t done = 0;
    while (!st && done < n) { /* emit the first ready node, then release its readers */
        size_t i = 0;
        while (i < n && deg[i] != 0) i++;
        if (i == n) {
            size_t k = 0;
            while (k < n && deg[k] < 0) k++;
            st = vsq_error(VSQ_EFORMAT, "%s: the graph has a cycle through %s", c->what,
                           onnx_node_label(g->node[k < n ? k : 0], lab, sizeof lab));
            break;
        }
        order[done++] = (int)i;
        deg[i] = -1;
        for (size_t r = 0, e = 0; r < n; r++)
            for (size_t j = 0; j < g->node[r]->n_input; j++, e++)
                if (prod[e] == (int)i) deg[r]--;
    }
    free(deg);
    free(prod);
    return st;
}

static vsq_status define_output(onnx_ctx *c, const Onnx__GraphProto *g) {
    if (g->n_output != 1)
        return vsq_error(VSQ_EUNSUPPORTED, "%s: the graph has %zu outputs (exactly one, the logits, is supported)", c->what,
                         g->n_output);
    onnx_value *v = g->output[0]->name ? onnx_find(c, g->output[0]->name) : NULL;
    if (!v || v->tensor < 0)
        return vsq_error(VSQ_EFORMAT, "%s: graph output '%.80s' is not computed by any node", c->what,
                         g->output[0]->name ? g->output[0]->name : "");
    const cnn_tensor *t = &c->m->t[v->tensor];
    if (t->h != 1 || t->w != 1)
        return vsq_error(VSQ_EUNSUPPORTED, "%s: graph output '%.80s' is %dx%dx%d, not a vector of logits", c->what,
                         v->name, t->c, t->h, t->w);
    c->m->out_t = v->tensor;
    c->m->n_classes = t->c;
    return VSQ_OK;
}

static void count_readers(onnx_ctx *c, const Onnx__GraphProto *g) {
    for (size_t i = 0; i < g->n_node; i++)
        for (size_t j = 0; j < g->node[i]->n_input; j++) {
            onnx_value *v = g->node[i]->input[j][0] ? onnx_find(c, g->node[i]->input[j]) : NULL;
            if (v) v->readers++;
        }
}

static vsq_status check_model(onnx_ctx *c, const Onnx__ModelProto *mp) {
    if (!mp->graph) return vsq_error(VSQ_EFORMAT, "%s: no graph in the model", c->what);
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
        int std = !o->domain || !o->domain[0] || !strcmp(o->domain, "ai.onnx");
        if (std && o->has_version && (o->version < 1 || o->version > 21))
            return vsq_error(VSQ_EUNSUPPORTED, "%s: opset version %lld", c->what, (long long)o->version);
    }
    return VSQ_OK;
}

/* Nodes in order; values get their tensors as the translators go. */
static vsq_status build(onnx_ctx *c, const Onnx__ModelProto *mp) {
    const Onnx__GraphProto *g = mp->graph;
    vsq_status st = define_initializers(c, g);
    if (!st) st = define_input(c, g);
    int *order = st ? NULL : malloc((g->n_node + 1) * sizeof *order);
    if (!st && !order) st = vsq_error(VSQ_ENOMEM, "%s: no memory", c->what);
    if (!st) st = topo_order(c, g, order);
    if (!st && g->n_node == 0) st = vsq_error(VSQ_EFORMAT, "%s: the graph has no nodes", c->what);
    for (size_t i = 0; !st && i < g->n_node; i++) {
        const Onnx__NodeProto *nd = g->node[order[i]];
        /* every operator names its result: the translators name layers
         * after output 0 (fuzz_onnx found a Conv without outputs) */
        if (nd->n_output == 0 || !nd->output[0][0])
            st = vsq_error(VSQ_EFORMAT, "%s: node %zu (%s) has no output", c->what, (size_t)order[i],
                           nd->op_type ? nd->op_type : "?");
        for (size_t j = 0; !st && j < nd->n_output; j++)
            if (nd->output[j][0] && !onnx_define(c, nd->output[j])) st = VSQ_EFORMAT;
        for (size_t j = 0; !st && j < nd->n_output; j++) { /* defined but not yet computed */
            onnx_value *v = nd->output[j][0] ? onnx_find(c, nd->output[j]) : NULL;
            if (v) v->tensor = -2;
        }
    }
    /* reader counts and graph-output marks before translation (BN folding) */
    if (!st) {
        count_readers(c, g);
        for (size_t i = 0; i < g->n_output; i++) {
            onnx_value *v = g->output[i]->name ? onnx_find(c, g->output[i]->name) : NULL;
            if (v) v->is_output = 1;
        }
    }
    for (size_t i = 0; !st && i < g->n_node; i++) st = onnx_translate(c, g->node[order[i]]);
    free(order);
    if (!st) st = define_output(c, g);
    return st;
}

static void ctx_free(onnx_ctx *c) {
    for (int i = 0; i < c->nv; i++) free(c->v[i].f), free(c->v[i].i64);
    free(c->v);
}

vsq_status cnn_onnx_load_mem(const uint8_t *data, size_t size, const char *what, cnn_model *m) {
    memset(m, 0, sizeof *m);
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, size, data);
    if (!mp) return vsq_error(VSQ_EFORMAT, "%s: not a valid ONNX model (protobuf parse failed: truncated or corrupt)", what);
    onnx_ctx c = {.m = m, .what = what};
    snprintf(m->format, sizeof m->format, "onnx");
    vsq_status st = check_model(&c, mp);
    if (!st) st = build(&c, mp);
    ctx_free(&c);
    onnx__model_proto__free_unpacked(mp, NULL);
    if (!st) st = cnn_model_plan(m);
    if (st) cnn_model_free(m);
    return st;
}

vsq_status cnn_onnx_load(const char *path, cnn_model *m) {
    memset(m, 0, sizeof *m);
    FILE *f = fopen(path, "rb");
    if (!f) return vsq_error(VSQ_EIO, "cannot open %s", path);
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    uint8_t *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (n < 0 || !buf || (rewind(f), fread(buf, 1, (size_t)n, f)) != (size_t)n) {
        fclose(f);
        free(buf);
        return vsq_error(n < 0 ? VSQ_EIO : buf ? VSQ_EIO : VSQ_ENOMEM, "cannot read %s", path);
    }
    fclose(f);
    vsq_status st = cnn_onnx_load_mem(buf, (size_t)n, path, m);
    free(buf);
    return st;
}

vsq_status cnn_model_open(const char *path, cnn_model *m) {
    struct stat sb;
    size_t len = strlen(path);
    int is_onnx = len >= 5 && !strcmp(path + len - 5, ".onnx");
    if (!is_onnx && stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) is_onnx = 1;
    return is_onnx ? cnn_onnx_load(path, m) : cnn_model_load(path, m);
}
