/* The graph's bookkeeping: appending nodes and tensors (both front ends),
 * and the buffer plan of the executor. Tensors are assigned to work
 * buffers ("slots") by liveness in one pass over the topologically ordered
 * nodes: a node's output takes a free slot (or, for an elementwise node
 * whose input dies there, the input's own slot), and a tensor's slot is
 * freed after its last reader. Memory is bounded by the largest set of
 * tensors alive at once, not by the number of nodes. */
#include "models/cnn/cnn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Grow an array of n elements to hold n+1 (capacity doubles at powers of two). */
static void *grow(void *p, int n, size_t elem) {
    if (n > 0 && (n & (n - 1))) return p;
    size_t cap = n ? 2 * (size_t)n : 16;
    return realloc(p, cap * elem);
}

cnn_layer *cnn_model_add_layer(cnn_model *m, cnn_op op, const char *name) {
    cnn_layer *l = grow(m->l, m->n, sizeof *l);
    if (!l) return NULL;
    m->l = l;
    l = &m->l[m->n++];
    memset(l, 0, sizeof *l);
    l->op = op;
    snprintf(l->name, sizeof l->name, "%s", name);
    l->kh = l->kw = l->sh = l->sw = l->dh = l->dw = l->groups = 1;
    l->out = -1;
    return l;
}

int cnn_model_add_tensor(cnn_model *m, int h, int w, int c, int nonneg) {
    cnn_tensor *t = grow(m->t, m->n_t, sizeof *t);
    if (!t) return -1;
    m->t = t;
    m->t[m->n_t] = (cnn_tensor){h, w, c, nonneg, -1, -1};
    return m->n_t++;
}

vsq_status cnn_model_chain(cnn_model *m) {
    free(m->t);
    m->t = NULL, m->n_t = 0;
    if (cnn_model_add_tensor(m, m->in_h, m->in_w, m->in_c, 0) < 0) return vsq_error(VSQ_ENOMEM, "no memory for tensors");
    for (int i = 0; i < m->n; i++) {
        cnn_layer *l = &m->l[i];
        l->in[0] = i, l->n_in = 1;
        l->out = cnn_model_add_tensor(m, l->oh, l->ow, l->cout, 0);
        if (l->out < 0) return vsq_error(VSQ_ENOMEM, "no memory for tensors");
        m->t[i].nonneg = l->in_nonneg;
    }
    m->out_t = m->n;
    return VSQ_OK;
}

int cnn_tensor_readers(const cnn_model *m, int t) {
    int r = 0;
    for (int i = 0; i < m->n; i++)
        for (int j = 0; j < m->l[i].n_in; j++) r += m->l[i].in[j] == t;
    return r;
}

/* Ops that compute y[j] from x[j] alone, so y may overwrite x. */
static int elementwise(const cnn_layer *l) {
    switch (l->op) {
    case CNN_RELU: case CNN_RELU6: case CNN_CLIP: case CNN_SIGMOID: case CNN_SOFTMAX:
    case CNN_AFFINE: case CNN_ADD: case CNN_MUL: return 1;
    case CNN_FLATTEN: return l->ih * l->iw == 1;
    default: return 0;
    }
}

static size_t numel(const cnn_tensor *t) { return (size_t)t->h * t->w * t->c; }

/* im2col scratch of node l (floats). */
static size_t col_size(const cnn_layer *l) {
    size_t pix = (size_t)l->oh * l->ow;
    if (l->op == CNN_CONV) return pix * l->k;
    if (l->op == CNN_DWCONV) return pix * l->k * l->cin;
    return 0;
}

static void set_last_uses(cnn_model *m) {
    for (int t = 0; t < m->n_t; t++) m->t[t].last_use = -1, m->t[t].slot = -1;
    for (int i = 0; i < m->n; i++)
        for (int j = 0; j < m->l[i].n_in; j++) m->t[m->l[i].in[j]].last_use = i;
    m->t[m->out_t].last_use = m->n;
    for (int i = 0; i < m->n; i++) m->l[i].in_live = m->t[m->l[i].in[0]].last_use > i;
}

/* A free slot (or a new one); slots[s] = 1 while in use. */
static int take_slot(cnn_model *m, int *busy, size_t need) {
    int s = 0;
    while (s < m->n_slots && busy[s]) s++;
    if (s == m->n_slots) m->slot_size[m->n_slots++] = 0;
    if (m->slot_size[s] < need) m->slot_size[s] = need;
    busy[s] = 1;
    return s;
}

vsq_status cnn_model_plan(cnn_model *m) {
    if (m->n_t < 1 || m->out_t < 0 || m->out_t >= m->n_t) return vsq_error(VSQ_EINVAL, "model has no output tensor");
    set_last_uses(m);
    free(m->slot_size);
    m->slot_size = calloc((size_t)m->n_t + 1, sizeof *m->slot_size);
    int *busy = calloc((size_t)m->n_t + 1, sizeof *busy);
    if (!m->slot_size || !busy) { free(busy); return vsq_error(VSQ_ENOMEM, "no memory for the buffer plan"); }
    m->n_slots = 0;
    m->t[0].slot = take_slot(m, busy, numel(&m->t[0]));
    m->max_act = numel(&m->t[0]);
    m->max_col = 1;
    for (int i = 0; i < m->n; i++) {
        cnn_layer *l = &m->l[i];
        cnn_tensor *x = &m->t[l->in[0]], *y = &m->t[l->out];
        size_t ny = numel(y);
        int inplace = elementwise(l) && x->last_use == i && numel(x) == ny;
        y->slot = inplace ? x->slot : take_slot(m, busy, ny); /* in place: the input dies here */
        for (int j = 0; j < l->n_in; j++) {
            cnn_tensor *t = &m->t[l->in[j]];
            if (t->last_use == i && t->slot != y->slot) busy[t->slot] = 0;
        }
        if (y->last_use < 0) busy[y->slot] = 0; /* nobody reads it */
        if (ny > m->max_act) m->max_act = ny;
        if (numel(x) > m->max_act) m->max_act = numel(x);
        if (col_size(l) > m->max_col) m->max_col = col_size(l);
    }
    free(busy);
    return VSQ_OK;
}
