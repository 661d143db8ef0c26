/* ctest-label: model */
/* safetensors and config.json readers: hand-built files with known bytes,
 * every malformed case the reader must reject, and the shared BERT model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsq/vsq.h"

/* Build a safetensors image: 8-byte length, the header, then `data`. */
static uint8_t *make_st(const char *header, const void *data, size_t dlen, size_t *len) {
    size_t h = strlen(header);
    *len = 8 + h + dlen;
    uint8_t *b = malloc(*len);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)h >> (8 * i));
    memcpy(b + 8, header, h);
    if (dlen) memcpy(b + 8 + h, data, dlen);
    return b;
}

static vsq_status parse(const char *header, const void *data, size_t dlen, vsq_safetensors *st) {
    size_t len;
    uint8_t *b = make_st(header, data, dlen, &len);
    vsq_status s = vsq_safetensors_parse(b, len, "t.safetensors", st);
    if (!s) vsq_safetensors_close(st); /* tensors point into b */
    free(b);
    return s;
}

static void test_f32_f16_bf16_i64(void **state) {
    /* a: F32 [2,2] = 1,-2,0.5,3; b: F16 [3] = 1, -2, 65504; c: BF16 [1] = 1.5;
     * d: I64 [1] = 7 (readable as bytes, not as float) */
    uint8_t data[16 + 6 + 2 + 8];
    float a[4] = {1.0f, -2.0f, 0.5f, 3.0f};
    memcpy(data, a, 16);
    uint8_t f16[6] = {0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b};
    memcpy(data + 16, f16, 6);
    uint8_t bf16[2] = {0xc0, 0x3f};
    memcpy(data + 22, bf16, 2);
    uint8_t i64[8] = {7, 0, 0, 0, 0, 0, 0, 0};
    memcpy(data + 24, i64, 8);
    const char *hdr =
        "{\"__metadata__\":{\"format\":\"pt\"},"
        "\"b\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[16,22]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
        "\"c\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[22,24]},"
        "\"d\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[24,32]}}";
    size_t len;
    uint8_t *b = make_st(hdr, data, sizeof data, &len);
    vsq_safetensors st;
    assert_int_equal(vsq_safetensors_parse(b, len, "t.safetensors", &st), VSQ_OK);
    assert_int_equal(st.n_tensors, 4);
    assert_int_equal(st.n_meta, 1);
    assert_string_equal(st.meta_keys[0], "format");
    assert_string_equal(st.meta_values[0], "pt");
    /* sorted by offset */
    assert_string_equal(st.tensors[0].name, "a");
    assert_string_equal(st.tensors[3].name, "d");

    float *x;
    size_t sa[2] = {2, 2};
    assert_int_equal(vsq_safetensors_get_f32(&st, "a", 2, sa, &x), VSQ_OK);
    for (int i = 0; i < 4; i++) assert_true(x[i] == a[i]);
    free(x);
    assert_int_equal(vsq_safetensors_get_f32(&st, "b", 0, NULL, &x), VSQ_OK);
    assert_true(x[0] == 1.0f && x[1] == -2.0f && x[2] == 65504.0f);
    free(x);
    assert_int_equal(vsq_safetensors_get_f32(&st, "c", 0, NULL, &x), VSQ_OK);
    assert_true(x[0] == 1.5f);
    free(x);
    const vsq_st_tensor *d = vsq_safetensors_find(&st, "d");
    assert_non_null(d);
    assert_int_equal(d->dtype, VSQ_ST_I64);
    assert_int_equal(d->data[0], 7);
    assert_int_equal(vsq_safetensors_get_f32(&st, "d", 0, NULL, &x), VSQ_EUNSUPPORTED);
    assert_non_null(strstr(vsq_last_error(), "I64"));
    assert_null(x);

    /* wrong shape and missing tensor name the tensor */
    size_t wrong[2] = {4, 1};
    assert_int_equal(vsq_safetensors_get_f32(&st, "a", 2, wrong, &x), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "\"a\" has shape [2, 2], expected [4, 1]"));
    assert_int_equal(vsq_safetensors_get_f32(&st, "zz", 0, NULL, &x), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "\"zz\" missing"));
    vsq_safetensors_close(&st);
    free(b);
}

static void test_nonfinite(void **state) {
    float v[2] = {1.0f, NAN};
    size_t len;
    uint8_t *b = make_st("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", v,
                         8, &len);
    vsq_safetensors st;
    assert_int_equal(vsq_safetensors_parse(b, len, "t", &st), VSQ_OK);
    float *x;
    assert_int_equal(vsq_safetensors_get_f32(&st, "w", 0, NULL, &x), VSQ_ENONFINITE);
    assert_non_null(strstr(vsq_last_error(), "element 1"));
    vsq_safetensors_close(&st);
    free(b);
}

/* Each malformed header and the phrase its message must contain. */
static void test_malformed(void **state) {
    uint8_t z[16] = {0};
    vsq_safetensors st;
    struct {
        const char *hdr;
        size_t dlen;
        const char *msg;
    } cases[] = {
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8, "outside"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "expected 12"},
        {"{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
         12, "overlaps"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "unindexed"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "not indexed"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 8, "outside"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "not a size"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "not a size"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
         "\"data_offsets\":[0,4]}}",
         4, "overflows"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "data_offsets"},
        {"{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "dtype"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
         8, "twice"},
        {"{\"__metadata__\":{\"k\":1}}", 0, "not a string"},
        /* a second map once overflowed the first one's arrays (fuzz_safetensors) */
        {"{\"__metadata__\":{\"a\":\"1\"},\"__metadata__\":{\"b\":\"2\",\"c\":\"3\"}}", 0,
         "listed twice"},
        {"{\"w\":[1,2]}", 0, "not an object"},
        {"[1,2]", 0, "start with"},
        {"{\"w\":", 0, "not valid JSON"},
        {"xx", 0, "start with '{'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vsq_status s = parse(cases[i].hdr, z, cases[i].dlen, &st);
        if (s == VSQ_OK || !strstr(vsq_last_error(), cases[i].msg))
            fail_msg("case %zu: status %d, message \"%s\" (want \"%s\")", i, s, vsq_last_error(),
                     cases[i].msg);
        assert_non_null(strstr(vsq_last_error(), "t.safetensors"));
    }
}

static void test_bad_length(void **state) {
    vsq_safetensors st;
    uint8_t b[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}'};
    assert_int_equal(vsq_safetensors_parse(b, sizeof b, "x", &st), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "header length"));
    b[0] = 9; /* 9 > 16 - 8 */
    memset(b + 1, 0, 7);
    assert_int_equal(vsq_safetensors_parse(b, sizeof b, "x", &st), VSQ_EFORMAT);
    assert_int_equal(vsq_safetensors_parse(b, 5, "x", &st), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "too short"));
    /* an empty tensor list is a valid file */
    b[0] = 2;
    assert_int_equal(vsq_safetensors_parse(b, 10, "x", &st), VSQ_OK);
    assert_int_equal(st.n_tensors, 0);
    vsq_safetensors_close(&st);
}

static void test_config(void **state) {
    const char *doc = "{\"hidden_size\": 384, \"layer_norm_eps\": 1e-12, \"hidden_act\": \"gelu\","
                      " \"ratio\": 1.5, \"rope_scaling\": null}";
    vsq_hf_config c;
    assert_int_equal(vsq_hf_config_parse(doc, strlen(doc), "config.json", &c), VSQ_OK);
    long n;
    double d;
    const char *s;
    assert_int_equal(vsq_hf_config_int(&c, "hidden_size", &n), VSQ_OK);
    assert_int_equal(n, 384);
    assert_int_equal(vsq_hf_config_double(&c, "layer_norm_eps", &d), VSQ_OK);
    assert_true(d == 1e-12);
    assert_int_equal(vsq_hf_config_string(&c, "hidden_act", &s), VSQ_OK);
    assert_string_equal(s, "gelu");
    assert_int_equal(vsq_hf_config_int(&c, "num_hidden_layers", &n), VSQ_EFORMAT);
    assert_string_equal(vsq_last_error(), "config.json: field \"num_hidden_layers\" missing");
    assert_int_equal(vsq_hf_config_int(&c, "ratio", &n), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "not an integer"));
    assert_int_equal(vsq_hf_config_int(&c, "hidden_act", &n), VSQ_EFORMAT);
    assert_int_equal(vsq_hf_config_string(&c, "hidden_size", &s), VSQ_EFORMAT);
    assert_int_equal(vsq_hf_config_int_opt(&c, "type_vocab_size", 2, &n), VSQ_OK);
    assert_int_equal(n, 2);
    assert_int_equal(vsq_hf_config_double_opt(&c, "rope_scaling", 0.25, &d), VSQ_OK);
    assert_true(d == 0.25);
    assert_int_equal(vsq_hf_config_double_opt(&c, "hidden_act", 0.25, &d), VSQ_EFORMAT);
    vsq_hf_config_free(&c);
    assert_int_equal(vsq_hf_config_parse("[1]", 3, "c.json", &c), VSQ_EFORMAT);
    assert_int_equal(vsq_hf_config_parse("{", 1, "c.json", &c), VSQ_EFORMAT);
    assert_int_equal(vsq_hf_config_load("/nonexistent/config.json", &c), VSQ_EIO);
}

/* The shared all-MiniLM-L6-v2 checkpoint: 101 F32 tensors + position ids,
 * shapes as its config says, and the whole file covered. */
static void test_shared_model(void **state) {
    const char *sh = getenv("VSQ_SHARED");
    char path[512];
    snprintf(path, sizeof path, "%s/models/all-minilm-l6-v2/model.safetensors",
             sh ? sh : VSQ_SHARED_DIR);
    vsq_safetensors st;
    assert_int_equal(vsq_safetensors_open(path, &st), VSQ_OK);
    assert_int_equal(st.n_tensors, 104);
    size_t emb[2] = {30522, 384};
    float *x;
    assert_int_equal(vsq_safetensors_get_f32(&st, "embeddings.word_embeddings.weight", 2, emb, &x),
                     VSQ_OK);
    free(x);
    const vsq_st_tensor *q = vsq_safetensors_find(&st, "encoder.layer.5.attention.self.query.weight");
    assert_non_null(q);
    assert_int_equal(q->dtype, VSQ_ST_F32);
    assert_int_equal(q->shape[0], 384);
    const vsq_st_tensor *last = &st.tensors[st.n_tensors - 1];
    assert_true(last->data + last->nbytes == (const uint8_t *)st.map + st.map_size);
    vsq_safetensors_close(&st);

    snprintf(path, sizeof path, "%s/models/all-minilm-l6-v2/config.json", sh ? sh : VSQ_SHARED_DIR);
    vsq_hf_config c;
    long n;
    assert_int_equal(vsq_hf_config_load(path, &c), VSQ_OK);
    assert_int_equal(vsq_hf_config_int(&c, "num_attention_heads", &n), VSQ_OK);
    assert_int_equal(n, 12);
    vsq_hf_config_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f32_f16_bf16_i64), cmocka_unit_test(test_nonfinite),
        cmocka_unit_test(test_malformed),        cmocka_unit_test(test_bad_length),
        cmocka_unit_test(test_config),           cmocka_unit_test(test_shared_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
