/* TF.js "layers" model loading: model.json (cJSON) + weightsManifest +
 * raw little-endian float32 shards. Each manifest group lists shard files
 * whose concatenation holds the group's tensors in order. */
#include "models/cnn/cnn.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static vsq_status read_file(const char *path, char **buf, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return vsq_error(VSQ_EIO, "cannot open %s", path);
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return vsq_error(VSQ_EIO, "cannot seek %s", path); }
    long n = ftell(f);
    rewind(f);
    if (n < 0) { fclose(f); return vsq_error(VSQ_EIO, "cannot size %s", path); }
    *buf = malloc((size_t)n + 1);
    if (!*buf) { fclose(f); return vsq_error(VSQ_ENOMEM, "no memory for %s", path); }
    size_t got = fread(*buf, 1, (size_t)n, f);
    fclose(f);
    if (got != (size_t)n) { free(*buf); return vsq_error(VSQ_EIO, "short read of %s", path); }
    (*buf)[n] = 0;
    *len = (size_t)n;
    return VSQ_OK;
}

/* Count tensors and float elements of the manifest, validating it. */
static vsq_status manifest_scan(const cJSON *man, const char *path, int *n_w, size_t *n_f) {
    *n_w = 0;
    *n_f = 0;
    if (!cJSON_IsArray(man)) return vsq_error(VSQ_EFORMAT, "%s: weightsManifest is not an array", path);
    const cJSON *g;
    cJSON_ArrayForEach(g, man) {
        const cJSON *ws = cJSON_GetObjectItemCaseSensitive(g, "weights");
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(g, "paths");
        if (!cJSON_IsArray(ws) || !cJSON_IsArray(ps))
            return vsq_error(VSQ_EFORMAT, "%s: manifest group without weights/paths", path);
        const cJSON *w;
        cJSON_ArrayForEach(w, ws) {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(w, "name");
            const cJSON *shape = cJSON_GetObjectItemCaseSensitive(w, "shape");
            const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(w, "dtype");
            if (!cJSON_IsString(name) || !cJSON_IsArray(shape))
                return vsq_error(VSQ_EFORMAT, "%s: manifest weight without name/shape", path);
            if (!cJSON_IsString(dtype) || strcmp(dtype->valuestring, "float32") != 0)
                return vsq_error(VSQ_EUNSUPPORTED, "%s: weight %s has dtype %s (only float32)", path,
                                 name->valuestring, cJSON_IsString(dtype) ? dtype->valuestring : "?");
            if (cJSON_GetObjectItemCaseSensitive(w, "quantization"))
                return vsq_error(VSQ_EUNSUPPORTED, "%s: weight %s is TF.js-quantized", path,
                                 name->valuestring);
            int nd = cJSON_GetArraySize(shape);
            if (nd > 4) return vsq_error(VSQ_EUNSUPPORTED, "%s: weight %s has %d dims", path, name->valuestring, nd);
            size_t numel = 1;
            const cJSON *d;
            cJSON_ArrayForEach(d, shape) {
                if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble > 1e8)
                    return vsq_error(VSQ_EFORMAT, "%s: weight %s has a bad shape", path, name->valuestring);
                numel *= (size_t)d->valuedouble;
            }
            (*n_w)++;
            *n_f += numel;
        }
    }
    return VSQ_OK;
}

/* Read one group's shards into dst (exactly `need` floats). */
static vsq_status read_group(const char *dir, const cJSON *paths, float *dst, size_t need) {
    size_t have = 0;
    const cJSON *p;
    char full[4096];
    cJSON_ArrayForEach(p, paths) {
        if (!cJSON_IsString(p)) return vsq_error(VSQ_EFORMAT, "%s/model.json: shard path is not a string", dir);
        snprintf(full, sizeof full, "%s/%s", dir, p->valuestring);
        FILE *f = fopen(full, "rb");
        if (!f) return vsq_error(VSQ_EIO, "missing weight shard %s", full);
        size_t room = (need - have) * sizeof(float);
        size_t got = fread((char *)dst + have * sizeof(float), 1, room, f);
        int extra = fgetc(f) != EOF;
        fclose(f);
        if (got % sizeof(float)) return vsq_error(VSQ_EFORMAT, "weight shard %s: size not a multiple of 4", full);
        if (extra) return vsq_error(VSQ_EFORMAT, "weight shard %s is longer than its manifest says", full);
        have += got / sizeof(float);
    }
    if (have != need)
        return vsq_error(VSQ_EFORMAT, "weight shards of %s are short: %zu of %zu floats (group starting %s)",
                         dir, have, need,
                         cJSON_IsString(cJSON_GetArrayItem(paths, 0)) ? cJSON_GetArrayItem(paths, 0)->valuestring : "?");
    return VSQ_OK;
}

vsq_status cnn_weights_load(const char *dir, cnn_weights *out, void **json_root) {
    memset(out, 0, sizeof *out);
    *json_root = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/model.json", dir);
    char *text = NULL;
    size_t len = 0;
    vsq_status st = read_file(path, &text, &len);
    if (st) return st;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!root) return vsq_error(VSQ_EFORMAT, "%s: not valid JSON", path);
    const cJSON *man = cJSON_GetObjectItemCaseSensitive(root, "weightsManifest");
    int n_w;
    size_t n_f;
    if ((st = manifest_scan(man, path, &n_w, &n_f))) { cJSON_Delete(root); return st; }
    out->w = calloc((size_t)n_w + 1, sizeof *out->w);
    out->blob = malloc((n_f + 1) * sizeof(float));
    if (!out->w || !out->blob) { cJSON_Delete(root); cnn_weights_free(out); return vsq_error(VSQ_ENOMEM, "no memory for weights of %s", dir); }
    size_t off = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, man) {
        size_t start = off;
        const cJSON *w;
        cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(g, "weights")) {
            cnn_weight *cw = &out->w[out->n++];
            snprintf(cw->name, sizeof cw->name, "%s", cJSON_GetObjectItemCaseSensitive(w, "name")->valuestring);
            const cJSON *shape = cJSON_GetObjectItemCaseSensitive(w, "shape"), *d;
            cw->numel = 1;
            cJSON_ArrayForEach(d, shape) {
                cw->shape[cw->ndim++] = (int)d->valuedouble;
                cw->numel *= (size_t)d->valuedouble;
            }
            cw->data = out->blob + off;
            off += cw->numel;
        }
        st = read_group(dir, cJSON_GetObjectItemCaseSensitive(g, "paths"), out->blob + start, off - start);
        if (st) { cJSON_Delete(root); cnn_weights_free(out); return st; }
    }
    for (int i = 0; i < out->n; i++)
        for (size_t j = 0; j < out->w[i].numel; j++)
            if (!isfinite(out->w[i].data[j])) {
                st = vsq_error(VSQ_ENONFINITE, "%s: weight %s[%zu] is not finite", path, out->w[i].name, j);
                cJSON_Delete(root);
                cnn_weights_free(out);
                return st;
            }
    *json_root = root;
    return VSQ_OK;
}

const cnn_weight *cnn_weights_find(const cnn_weights *ws, const char *layer, const char *key) {
    /* Names are "layer/key"; newer exporters may prefix "model/"; accept a
     * suffix match on "/layer/key" too. */
    char want[256];
    int n = snprintf(want, sizeof want, "%s/%s", layer, key);
    for (int i = 0; i < ws->n; i++) {
        const char *nm = ws->w[i].name;
        size_t l = strlen(nm);
        if (!strcmp(nm, want)) return &ws->w[i];
        if (l > (size_t)n && nm[l - n - 1] == '/' && !strcmp(nm + l - n, want)) return &ws->w[i];
    }
    return NULL;
}

void cnn_weights_free(cnn_weights *ws) {
    free(ws->w);
    free(ws->blob);
    memset(ws, 0, sizeof *ws);
}

void cnn_json_free(void *json_root) { cJSON_Delete((cJSON *)json_root); }
