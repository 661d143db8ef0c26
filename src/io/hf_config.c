/* Hugging Face config.json: a flat JSON object of hyper-parameters. The
 * getters name the file and the field in every error, so a model runner can
 * pass their status straight up. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "vsq/safetensors.h"

vsq_status vsq_hf_config_parse(const char *text, size_t len, const char *what, vsq_hf_config *c) {
    memset(c, 0, sizeof *c);
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) return vsq_error(VSQ_EFORMAT, "%s: not valid JSON", what);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return vsq_error(VSQ_EFORMAT, "%s: top level is not a JSON object", what);
    }
    c->path = strdup(what);
    if (!c->path) {
        cJSON_Delete(root);
        return vsq_error(VSQ_ENOMEM, "%s: out of memory", what);
    }
    c->json = root;
    return VSQ_OK;
}

vsq_status vsq_hf_config_load(const char *path, vsq_hf_config *c) {
    memset(c, 0, sizeof *c);
    uint8_t *buf;
    size_t len;
    vsq_status s = vsq_read_file(path, &buf, &len);
    if (s) return s;
    s = vsq_hf_config_parse((const char *)buf, len, path, c);
    free(buf);
    return s;
}

void vsq_hf_config_free(vsq_hf_config *c) {
    cJSON_Delete(c->json);
    free(c->path);
    memset(c, 0, sizeof *c);
}

static const cJSON *field(const vsq_hf_config *c, const char *key) {
    return c->json ? cJSON_GetObjectItemCaseSensitive((const cJSON *)c->json, key) : NULL;
}

static vsq_status missing(const vsq_hf_config *c, const char *key) {
    return vsq_error(VSQ_EFORMAT, "%s: field \"%s\" missing", c->path ? c->path : "config",
                     key);
}

static vsq_status get_int(const vsq_hf_config *c, const cJSON *v, const char *key, long *out) {
    double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    if (!(fabs(d) <= 9007199254740992.0) || d != floor(d))
        return vsq_error(VSQ_EFORMAT, "%s: field \"%s\" is not an integer", c->path, key);
    *out = (long)d;
    return VSQ_OK;
}

static vsq_status get_double(const vsq_hf_config *c, const cJSON *v, const char *key,
                             double *out) {
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return vsq_error(VSQ_EFORMAT, "%s: field \"%s\" is not a number", c->path, key);
    *out = v->valuedouble;
    return VSQ_OK;
}

vsq_status vsq_hf_config_int(const vsq_hf_config *c, const char *key, long *out) {
    const cJSON *v = field(c, key);
    return v ? get_int(c, v, key, out) : missing(c, key);
}

vsq_status vsq_hf_config_double(const vsq_hf_config *c, const char *key, double *out) {
    const cJSON *v = field(c, key);
    return v ? get_double(c, v, key, out) : missing(c, key);
}

vsq_status vsq_hf_config_string(const vsq_hf_config *c, const char *key, const char **out) {
    const cJSON *v = field(c, key);
    if (!v) return missing(c, key);
    if (!cJSON_IsString(v))
        return vsq_error(VSQ_EFORMAT, "%s: field \"%s\" is not a string", c->path, key);
    *out = v->valuestring;
    return VSQ_OK;
}

vsq_status vsq_hf_config_int_opt(const vsq_hf_config *c, const char *key, long def, long *out) {
    const cJSON *v = field(c, key);
    if (!v || cJSON_IsNull(v)) {
        *out = def;
        return VSQ_OK;
    }
    return get_int(c, v, key, out);
}

vsq_status vsq_hf_config_double_opt(const vsq_hf_config *c, const char *key, double def,
                                    double *out) {
    const cJSON *v = field(c, key);
    if (!v || cJSON_IsNull(v)) {
        *out = def;
        return VSQ_OK;
    }
    return get_double(c, v, key, out);
}
