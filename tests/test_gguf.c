/* GGUF reader: a file written byte by byte here, hand-computed
 * dequantized values for Q8_0/Q4_0/Q4_1, every prefix of the file rejected
 * cleanly, and the malformed cases of issue 13. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsq/gguf.h"
#include "vsq/vsq.h"

#include "gguf_testutil.h"

static void tensor_info(wbuf *w, const char *name, int nd, const uint64_t *ne, uint32_t type,
                        uint64_t off) {
    put_str(w, name);
    put(w, (uint64_t)nd, 4);
    for (int i = 0; i < nd; i++) put(w, ne[i], 8);
    put(w, type, 4);
    put(w, off, 8);
}

/* 3 key/values, 4 tensors: f32 [2,3] (ne0=2), q8_0 [32], q4_0 [32], q4_1 [32]. */
static size_t build(wbuf *w, uint32_t version, uint32_t q_type_override) {
    put_header(w, version, 4, 3);
    put_kv_str(w, "general.architecture", "llama");
    put_str(w, "llama.block_count");
    put(w, VSQ_GGUF_U32, 4);
    put(w, 30, 4);
    static const char *const toks[] = {"<s>", "hi"};
    put_kv_str_array(w, "tokenizer.ggml.tokens", toks, 2);
    uint64_t ne_f[2] = {2, 3}, ne_q[1] = {32};
    tensor_info(w, "f", 2, ne_f, VSQ_GGML_F32, 0);
    tensor_info(w, "q8", 1, ne_q, q_type_override ? q_type_override : VSQ_GGML_Q8_0, 32);
    tensor_info(w, "q40", 1, ne_q, VSQ_GGML_Q4_0, 96);
    tensor_info(w, "q41", 1, ne_q, VSQ_GGML_Q4_1, 128);
    pad_to(w, 32);
    size_t data = w->n;
    for (int i = 0; i < 6; i++) {
        float f = (float)i - 2.5f;
        uint32_t u;
        memcpy(&u, &f, 4);
        put(w, u, 4);
    }
    pad_to(w, 32);
    /* q8_0: d = 0.5 (fp16 0x3800), q_j = j - 16 */
    put(w, 0x3800, 2);
    for (int j = 0; j < 32; j++) put(w, (uint8_t)(int8_t)(j - 16), 1);
    pad_to(w, 32);
    /* q4_0: d = 2 (0x4000), byte j = (j % 16) | (15 - j % 16) << 4 */
    put(w, 0x4000, 2);
    for (int j = 0; j < 16; j++) put(w, (uint64_t)(j | (15 - j) << 4), 1);
    pad_to(w, 32);
    /* q4_1: d = 0.25 (0x3400), m = -1 (0xbc00), same nibbles */
    put(w, 0x3400, 2);
    put(w, 0xbc00, 2);
    for (int j = 0; j < 16; j++) put(w, (uint64_t)(j | (15 - j) << 4), 1);
    assert_true(w->n - data == 148);
    return w->n;
}

static void test_read_and_dequantize(void **state) {
    wbuf w;
    size_t n = build(&w, 3, 0);
    vsq_gguf g;
    assert_int_equal(vsq_gguf_parse(w.b, n, "t.gguf", &g), VSQ_OK);
    assert_int_equal(g.version, 3);
    assert_int_equal(g.n_kv, 3);
    assert_int_equal(g.n_tensors, 4);
    char *arch;
    assert_int_equal(vsq_gguf_get_string(&g, "general.architecture", &arch), VSQ_OK);
    assert_string_equal(arch, "llama");
    free(arch);
    int64_t blocks;
    assert_int_equal(vsq_gguf_get_int(&g, "llama.block_count", &blocks), VSQ_OK);
    assert_int_equal(blocks, 30);
    const vsq_gguf_kv *tok = vsq_gguf_find_kv(&g, "tokenizer.ggml.tokens");
    assert_non_null(tok);
    const char *p[2];
    uint64_t l[2];
    assert_int_equal(vsq_gguf_array_strings(&g, tok, p, l), VSQ_OK);
    assert_int_equal(l[1], 2);
    assert_memory_equal(p[1], "hi", 2);
    assert_int_equal(vsq_gguf_get_int(&g, "general.architecture", &blocks), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "not an integer"));
    assert_int_equal(vsq_gguf_get_int(&g, "llama.context_length", &blocks), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "\"llama.context_length\" missing"));

    float out[32];
    const vsq_gguf_tensor *t = vsq_gguf_find_tensor(&g, "f");
    assert_int_equal(t->ne[0], 2);
    assert_int_equal(t->ne[1], 3);
    assert_int_equal(vsq_gguf_tensor_to_f32(&g, t, out), VSQ_OK);
    for (int i = 0; i < 6; i++) assert_true(out[i] == (float)i - 2.5f);
    assert_int_equal(vsq_gguf_tensor_to_f32(&g, vsq_gguf_find_tensor(&g, "q8"), out), VSQ_OK);
    for (int j = 0; j < 32; j++) assert_true(out[j] == 0.5f * (float)(j - 16));
    assert_int_equal(vsq_gguf_tensor_to_f32(&g, vsq_gguf_find_tensor(&g, "q40"), out), VSQ_OK);
    for (int j = 0; j < 16; j++) {
        assert_true(out[j] == 2.0f * (float)(j - 8));
        assert_true(out[j + 16] == 2.0f * (float)(15 - j - 8));
    }
    assert_int_equal(vsq_gguf_tensor_to_f32(&g, vsq_gguf_find_tensor(&g, "q41"), out), VSQ_OK);
    for (int j = 0; j < 16; j++) {
        assert_true(out[j] == 0.25f * (float)j - 1.0f);
        assert_true(out[j + 16] == 0.25f * (float)(15 - j) - 1.0f);
    }
    vsq_gguf_close(&g);
}

/* Every proper prefix of a valid file is rejected with a message. */
static void test_every_prefix_rejected(void **state) {
    wbuf w;
    size_t n = build(&w, 3, 0);
    for (size_t len = 0; len < n; len++) {
        vsq_gguf g;
        vsq_status s = vsq_gguf_parse(w.b, len, "t.gguf", &g);
        if (s == VSQ_OK) fail_msg("prefix of %zu bytes accepted", len);
        assert_non_null(strstr(vsq_last_error(), "t.gguf"));
    }
}

static uint8_t *find_bytes(uint8_t *b, size_t n, const char *pat, size_t m) {
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(b + i, pat, m) == 0) return b + i;
    return NULL;
}

static void expect(const uint8_t *b, size_t n, const char *msg) {
    vsq_gguf g;
    vsq_status s = vsq_gguf_parse(b, n, "t.gguf", &g);
    if (s == VSQ_OK || !strstr(vsq_last_error(), msg))
        fail_msg("status %d, message \"%s\" (want \"%s\")", s, vsq_last_error(), msg);
}

static void test_malformed(void **state) {
    wbuf w;
    size_t n = build(&w, 3, 0);
    w.b[0] = 'X';
    expect(w.b, n, "bad magic");
    n = build(&w, 1, 0);
    expect(w.b, n, "version 1");
    n = build(&w, 3, 99); /* unknown tensor type */
    expect(w.b, n, "unknown ggml type 99");
    n = build(&w, 3, 0);
    expect(w.b, n - 1, "past the end"); /* last tensor cut by one byte */
    /* a huge key/value count cannot fit */
    n = build(&w, 3, 0);
    w.b[16 + 7] = 0x7f;
    expect(w.b, n, "cannot fit");
    /* first tensor's offset moved to 16: misaligned */
    n = build(&w, 3, 0);
    /* locate the q8 tensor info: its name followed by n_dims, ne, type, offset */
    uint8_t *q8 = find_bytes(w.b, n, "\x02\0\0\0\0\0\0\0q8", 10);
    assert_non_null(q8);
    uint8_t *off = q8 + 10 + 4 + 8 + 4;
    off[0] = 48;
    expect(w.b, n, "not aligned");
    off[0] = 0; /* same offset as "f": overlap */
    expect(w.b, n, "overlap");
    off[0] = 32;
    /* value type 13 does not exist */
    n = build(&w, 3, 0);
    uint8_t *bc = find_bytes(w.b, n, "block_count", 11);
    bc[11] = 13;
    expect(w.b, n, "unknown value type 13");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_and_dequantize),
        cmocka_unit_test(test_every_prefix_rejected),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
