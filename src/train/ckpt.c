/* Training checkpoints as safetensors (docs/qat.md): F32 tensors
 *   <layer>.weight, <layer>.bias                 conv [cout,kh,kw,cin], dw [c,kh,kw], dense [cout,cin]
 *   <bn>.gamma, .beta, .running_mean, .running_var
 * and __metadata__ {"model": "cnn"|"mbnet", "folded": "0"|"1", ...notes}.
 * Layer names come from the model definition (conv1, bn1, dw1, dense1...).
 * The file is built in memory and written atomically. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/layers_internal.h"

typedef struct {
    char name[48];
    const float *data;
    size_t n;
    int ndim;
    size_t shape[4];
} entry;

/* Every tensor of the network, in layer order. */
static int list_entries(const tr_net *net, entry *e) {
    int m = 0;
    for (int i = 0; i < net->n; i++) {
        const tr_layer *l = &net->l[i];
        const float *w = net->params + l->w_off, *b = net->params + l->b_off;
        if (l->op == TR_BN) {
            const char *sfx[4] = {"gamma", "beta", "running_mean", "running_var"};
            const float *d[4] = {w, b, l->rmean, l->rvar};
            for (int j = 0; j < 4; j++) {
                e[m] = (entry){.data = d[j], .n = (size_t)l->ic, .ndim = 1, .shape = {(size_t)l->ic}};
                snprintf(e[m++].name, sizeof e->name, "%s.%s", l->name, sfx[j]);
            }
            continue;
        }
        if (l->op > TR_DENSE) continue;
        entry we = {.data = w, .n = l->nw};
        if (l->op == TR_CONV) we.ndim = 4, we.shape[0] = l->oc, we.shape[1] = we.shape[2] = l->k, we.shape[3] = l->ic;
        if (l->op == TR_DWCONV) we.ndim = 3, we.shape[0] = l->ic, we.shape[1] = we.shape[2] = l->k;
        if (l->op == TR_DENSE) we.ndim = 2, we.shape[0] = l->oc, we.shape[1] = l->nw / l->oc;
        snprintf(we.name, sizeof we.name, "%s.weight", l->name);
        e[m++] = we;
        e[m] = (entry){.data = b, .n = l->nb, .ndim = 1, .shape = {l->nb}};
        snprintf(e[m++].name, sizeof e->name, "%s.bias", l->name);
    }
    return m;
}

static int all_folded(const tr_net *net) {
    for (int i = 0; i < net->n; i++)
        if (net->l[i].op == TR_BN && !net->l[i].folded) return 0;
    return 1;
}

vsq_status tr_ckpt_save(const tr_net *net, const char *path, const char *const *meta_kv, int n_meta) {
    entry *e = calloc(4 * (size_t)net->n + 1, sizeof(entry));
    cJSON *root = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(root, "__metadata__");
    if (!e || !root || !meta) { free(e); cJSON_Delete(root); return vsq_error(VSQ_ENOMEM, "%s: no memory", path); }
    cJSON_AddStringToObject(meta, "model", net->model);
    cJSON_AddStringToObject(meta, "folded", all_folded(net) ? "1" : "0");
    for (int i = 0; i + 1 < 2 * n_meta; i += 2) cJSON_AddStringToObject(meta, meta_kv[i], meta_kv[i + 1]);
    int m = list_entries(net, e);
    size_t off = 0;
    for (int i = 0; i < m; i++) {
        cJSON *t = cJSON_AddObjectToObject(root, e[i].name), *sh = cJSON_AddArrayToObject(t, "shape");
        cJSON_AddStringToObject(t, "dtype", "F32");
        for (int d = 0; d < e[i].ndim; d++) cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)e[i].shape[d]));
        cJSON *o = cJSON_AddArrayToObject(t, "data_offsets");
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
        off += e[i].n * sizeof(float);
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
    }
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!json) { free(e); return vsq_error(VSQ_ENOMEM, "%s: no memory", path); }
    size_t hlen = strlen(json), padded = (hlen + 7) / 8 * 8, total = 8 + padded + off;
    uint8_t *buf = malloc(total);
    if (!buf) { free(json), free(e); return vsq_error(VSQ_ENOMEM, "%s: no memory", path); }
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)padded >> (8 * i)); /* little endian */
    memcpy(buf + 8, json, hlen);
    memset(buf + 8 + hlen, ' ', padded - hlen);
    uint8_t *p = buf + 8 + padded;
    for (int i = 0; i < m; i++) { /* F32 little endian: the host order on x86 */
        memcpy(p, e[i].data, e[i].n * sizeof(float));
        p += e[i].n * sizeof(float);
    }
    vsq_status st = vsq_write_atomic(path, buf, total);
    free(buf), free(json), free(e);
    return st;
}

static const char *meta_get(const vsq_safetensors *st, const char *key) {
    for (size_t i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta_keys[i], key)) return st->meta_values[i];
    return NULL;
}

static vsq_status load_into(const vsq_safetensors *st, const entry *e, float *dst) {
    float *v;
    vsq_status s = vsq_safetensors_get_f32(st, e->name, e->ndim, e->shape, &v);
    if (s) return s;
    memcpy(dst, v, e->n * sizeof(float));
    free(v);
    return VSQ_OK;
}

vsq_status tr_ckpt_load(tr_net *net, const char *path, int batch_cap) {
    vsq_safetensors st;
    vsq_status s = vsq_safetensors_open(path, &st);
    if (s) return s;
    const char *model = meta_get(&st, "model"), *folded = meta_get(&st, "folded");
    if (!model) {
        vsq_safetensors_close(&st);
        return vsq_error(VSQ_EFORMAT, "%s: no \"model\" in __metadata__ (not a vsq train checkpoint)", path);
    }
    if ((s = tr_net_build_named(net, model, batch_cap, 1))) {
        vsq_safetensors_close(&st);
        return vsq_error(s, "%s: %s", path, vsq_last_error());
    }
    entry *e = calloc(4 * (size_t)net->n + 1, sizeof(entry));
    if (!e) s = vsq_error(VSQ_ENOMEM, "no memory");
    int m = e ? list_entries(net, e) : 0;
    for (int i = 0; !s && i < m; i++) s = load_into(&st, &e[i], (float *)e[i].data);
    for (int i = 0; !s && folded && !strcmp(folded, "1") && i < net->n; i++)
        if (net->l[i].op == TR_BN) net->l[i].folded = 1;
    free(e);
    vsq_safetensors_close(&st);
    if (s) tr_net_free(net);
    return s;
}
