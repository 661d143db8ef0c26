/* libFuzzer target: the config.json reader and its getters. Properties: a
 * getter either succeeds with a value of the asked type or fails with
 * VSQ_EFORMAT; an integer read as a double gives the same number; the _opt
 * getters agree with the plain ones on present fields and return the
 * default for absent ones. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vsq/safetensors.h"

static void check_key(const vsq_hf_config *c, const char *key) {
    long l = 0, lo = 0;
    double d = 0, dopt = 0;
    const char *s = NULL;
    vsq_status si = vsq_hf_config_int(c, key, &l);
    int absent = si && strstr(vsq_last_error(), "\" missing") != NULL;
    vsq_status sd = vsq_hf_config_double(c, key, &d);
    vsq_status ss = vsq_hf_config_string(c, key, &s);
    vsq_status sio = vsq_hf_config_int_opt(c, key, -7, &lo);
    vsq_status sdo = vsq_hf_config_double_opt(c, key, 0.25, &dopt);
    if ((si && si != VSQ_EFORMAT) || (sd && sd != VSQ_EFORMAT) || (ss && ss != VSQ_EFORMAT) ||
        (sio && sio != VSQ_EFORMAT) || (sdo && sdo != VSQ_EFORMAT))
        abort();
    if (!si && (sd || (double)l != d || sio || lo != l)) abort();
    if (!sd && (!isfinite(d) || sdo || dopt != d)) abort();
    if (!ss && (!s || !si || !sd)) abort(); /* a string is no number */
    if (absent && (sio || lo != -7 || sdo || dopt != 0.25)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vsq_hf_config c;
    if (vsq_hf_config_parse((const char *)data, size, "fuzz.json", &c) != VSQ_OK) {
        if (c.json || c.path) abort();
        return 0;
    }
    static const char *const keys[] = {"hidden_size", "num_attention_heads", "layer_norm_eps",
                                       "hidden_act",  "vocab_size",          "model_type",
                                       "",            "no_such_key"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) check_key(&c, keys[i]);
    vsq_hf_config_free(&c);
    return 0;
}
