/* TF.js "layers" model loading: model.json (cJSON) + weightsManifest +
 * raw little-endian float32 shards. Each manifest group lists shard files
 * whose concatenation holds the group's tensors in order. */
#include "models/cnn/cnn.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"

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
                if (!cJSON_IsNumber(d) || !(d->valuedouble >= 0 && d->valuedouble <= 1e8) ||
                    d->valuedouble != (double)(int)d->valuedouble)
                    return vsq_error(VSQ_EFORMAT, "%s: weight %s has a bad shape", path, name->valuestring);
                if (vsq_mul_size_into(&numel, (size_t)d->valuedouble))
                    return vsq_error(VSQ_EFORMAT, "%s: weight %s: shape overflows", path, name->valuestring);
            }
            if (*n_w >= (1 << 20))
                return vsq_error(VSQ_EFORMAT, "%s: more than 2^20 weights in the manifest", path);
            (*n_w)++;
            if (vsq_add_size(*n_f, numel, n_f) || *n_f > (SIZE_MAX / sizeof(float)) - 1)
                return vsq_error(VSQ_EFORMAT, "%s: the manifest's total size overflows", path);
        }
    }
    return VSQ_OK;
}

/* Read one group's shards into dst (exactly `need` floats). */
static vsq_status read_group(const cnn_shard_reader *r, const cJSON *paths, float *dst, size_t need) {
    size_t have = 0; /* bytes */
    size_t need_bytes = need * sizeof(float); /* cannot overflow: checked by manifest_scan */
    const cJSON *p;
    cJSON_ArrayForEach(p, paths) {
        if (!cJSON_IsString(p)) return vsq_error(VSQ_EFORMAT, "%s/model.json: shard path is not a string", r->what);
        uint8_t *buf = NULL;
        size_t len = 0;
        vsq_status st = r->read(r->ctx, r->what, p->valuestring, &buf, &len);
        if (st) return st;
        if (len > need_bytes - have) {
            free(buf);
            return vsq_error(VSQ_EFORMAT, "weight shard %s/%s is longer than its manifest says", r->what, p->valuestring);
        }
        if (len % sizeof(float)) {
            free(buf);
            return vsq_error(VSQ_EFORMAT, "weight shard %s/%s: size not a multiple of 4", r->what, p->valuestring);
        }
        memcpy((char *)dst + have, buf, len);
        free(buf);
        have += len;
    }
    if (have != need_bytes)
        return vsq_error(VSQ_EFORMAT, "weight shards of %s are short: %zu of %zu floats (group starting %s)",
                         r->what, have / sizeof(float), need,
                         cJSON_IsString(cJSON_GetArrayItem(paths, 0)) ? cJSON_GetArrayItem(paths, 0)->valuestring : "?");
    return VSQ_OK;
}

/* The file reader: shard paths are relative to the model folder and may
 * not leave it. */
static vsq_status read_shard_file(void *ctx, const char *dir, const char *name, uint8_t **buf, size_t *len) {
    (void)ctx;
    if (name[0] == '/' || strstr(name, ".."))
        return vsq_error(VSQ_EFORMAT, "%s/model.json: shard path '%s' leaves the model folder", dir, name);
    char full[4096];
    if (snprintf(full, sizeof full, "%s/%s", dir, name) >= (int)sizeof full)
        return vsq_error(VSQ_EINVAL, "%s: shard path too long", dir);
    char *b;
    vsq_status st = read_file(full, &b, len);
    if (st == VSQ_EIO && !strncmp(vsq_last_error(), "cannot open", 11))
        return vsq_error(VSQ_EIO, "missing weight shard %s", full);
    if (st) return st;
    *buf = (uint8_t *)b;
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
    cnn_shard_reader r = {read_shard_file, NULL, dir};
    st = cnn_weights_parse(text, len, &r, out, json_root);
    free(text);
    return st;
}

vsq_status cnn_weights_parse(const char *json, size_t len, const cnn_shard_reader *r,
                             cnn_weights *out, void **json_root) {
    memset(out, 0, sizeof *out);
    *json_root = NULL;
    const char *dir = r->what;
    char path[4096];
    snprintf(path, sizeof path, "%s/model.json", dir);
    vsq_status st;
    cJSON *root = cJSON_ParseWithLength(json, len);
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
        st = read_group(r, cJSON_GetObjectItemCaseSensitive(g, "paths"), out->blob + start, off - start);
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
