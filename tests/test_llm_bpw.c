/* test_llm_bpw.c - bits per weight of `vsq eval-lm --json` against a hand
 * count, on a tiny llama2.c checkpoint written here (no shared data):
 * every stored weight matrix is counted, token embedding included, a tied
 * embedding once (as the classifier), RMSNorm gains listed apart; the
 * tensors[] list names each kind's format. Also the held-out split rule. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
/* cmocka needs the three headers above first */
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/llm/llm.h"

/* dim 32, hidden 64, 2 layers, 4 heads (size 8), 2 kv heads (kv_dim 16),
 * vocab 286, context 8, shared classifier. */
enum { DIM = 32, HID = 64, NL = 2, NH = 4, NKV = 2, VOCAB = 286, SEQ = 8, KV = 16 };

static char dir[64], ckpt[128], tok[128], text[128], json[128];

static void write_checkpoint(void) {
    FILE *f = fopen(ckpt, "wb");
    assert_non_null(f);
    int32_t h[7] = {DIM, HID, NL, NH, NKV, VOCAB, SEQ};
    fwrite(h, sizeof h, 1, f);
    size_t n = (size_t)VOCAB * DIM + NL * DIM + 2 * NL * DIM * DIM + 2 * NL * KV * DIM + NL * DIM +
               3 * NL * HID * DIM + DIM + SEQ * (DIM / NH);
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        float v = ((float)(s >> 8) / 16777216.0f - 0.5f) * 0.2f;
        fwrite(&v, sizeof v, 1, f);
    }
    fclose(f);
}

/* <unk> <s> </s>, the 256 byte tokens <0xXX>, then " " a..z: every
 * character of the text is one token. */
static void write_tokenizer(void) {
    FILE *f = fopen(tok, "wb");
    assert_non_null(f);
    int32_t max_len = 6;
    fwrite(&max_len, sizeof max_len, 1, f);
    for (int i = 0; i < VOCAB; i++) {
        char piece[8];
        if (i < 3) snprintf(piece, sizeof piece, "%s", i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>");
        else if (i < 259) snprintf(piece, sizeof piece, "<0x%02X>", i - 3);
        else if (i == 259) snprintf(piece, sizeof piece, " ");
        else snprintf(piece, sizeof piece, "%c", 'a' + i - 260);
        float score = 0.0f;
        int32_t len = (int32_t)strlen(piece);
        fwrite(&score, sizeof score, 1, f);
        fwrite(&len, sizeof len, 1, f);
        fwrite(piece, 1, (size_t)len, f);
    }
    fclose(f);
}

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/vsq_llm_bpw_XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(ckpt, sizeof ckpt, "%s/tiny.bin", dir);
    snprintf(tok, sizeof tok, "%s/tok.bin", dir);
    snprintf(text, sizeof text, "%s/text.txt", dir);
    snprintf(json, sizeof json, "%s/out.json", dir);
    write_checkpoint();
    write_tokenizer();
    FILE *f = fopen(text, "w");
    if (!f) return -1;
    fputs("the cat sat on a mat and the dog ran to the cat", f);
    fclose(f);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    unlink(ckpt);
    unlink(tok);
    unlink(text);
    unlink(json);
    rmdir(dir);
    return 0;
}

/* Run eval-lm with `opts` on the tiny model; parse its JSON. */
static cJSON *eval_json(const char *opts) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s eval-lm --model %s --tokenizer %s --text %s --ctx 8 --json %s %s >/dev/null",
             VSQ_CLI, ckpt, tok, text, json, opts);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(json, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    cJSON *o = cJSON_Parse(buf);
    assert_non_null(o);
    return o;
}

static double num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

/* The tensors[] entry called `name`. */
static const cJSON *tensor(const cJSON *o, const char *name) {
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(o, "tensors")) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(t, "name");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, name)) return t;
    }
    fail_msg("no tensor %s in the JSON", name);
    return NULL;
}

static const char *format_of(const cJSON *o, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(tensor(o, name), "format")->valuestring;
}

/* Hand count. Weights per kind: wq 2*32*32 = 2048, wk = wv 2*16*32 = 1024,
 * wo 2048, w1 = w2 = w3 2*64*32 = 4096, cls = emb 286*32 = 9152.
 * int4:v16:fp16 = 4 + 16/16 = 5 bits, int8:v32:fp16 = 8 + 16/32 = 8.5 bits,
 * fp32 = 32 bits. */
static void test_bpw_embedding_fp32(void **state) {
    (void)state;
    cJSON *o = eval_json("--w int4:v16:fp16 --w-cls int8:v32:fp16");
    double lin = 18432.0 * 5, cls = 9152 * 8.5, emb = 9152 * 32.0;
    assert_float_equal(num(o, "bpw"), (lin + cls + emb) / (18432 + 9152 + 9152), 1e-9);
    assert_float_equal(num(o, "bpw_linear"), (lin + cls) / (18432 + 9152), 1e-9);
    assert_string_equal(format_of(o, "emb"), "fp32");
    assert_string_equal(format_of(o, "cls"), "int8:v32:fp16");
    assert_string_equal(format_of(o, "w2"), "int4:v16:fp16");
    assert_float_equal(num(tensor(o, "w2"), "weights"), 4096, 0);
    assert_float_equal(num(tensor(o, "w2"), "bits"), 4096 * 5.0, 1e-9);
    assert_float_equal(num(tensor(o, "rmsnorm"), "weights"), 2 * 2 * 32 + 32, 0);
    cJSON_Delete(o);
}

/* Tied: the embedding is the classifier's table, stored (and counted) once. */
static void test_bpw_tied(void **state) {
    (void)state;
    cJSON *o = eval_json("--w int4:v16:fp16 --w-cls int8:v32:fp16 --tie-emb");
    double want = (18432.0 * 5 + 9152 * 8.5) / (18432 + 9152);
    assert_float_equal(num(o, "bpw"), want, 1e-9);
    assert_string_equal(format_of(o, "emb"), "tied:cls");
    assert_float_equal(num(tensor(o, "emb"), "weights"), 0, 0);
    cJSON_Delete(o);
}

/* Per-kind overrides, a two-level format with one fp32 coarse scale per
 * tensor (@pt: 32 bits per matrix) and an embedding format of its own. */
static void test_bpw_overrides(void **state) {
    (void)state;
    cJSON *o = eval_json("--w int4:v16:fp16 --w-set wv=int6:v16:s6@pt,emb=int8:v32:fp16,w2=fp32");
    double wv = 1024 * (6 + 6.0 / 16) + 2 * 32; /* two matrices, one gamma each */
    double bits = (2048 + 1024 + 2048 + 4096 + 4096) * 5.0 + wv + 4096 * 32.0 + 9152 * 5.0 +
                  9152 * 8.5;
    assert_float_equal(num(o, "bpw"), bits / (18432 + 9152 + 9152), 1e-9);
    assert_string_equal(format_of(o, "emb"), "int8:v32:fp16");
    assert_string_equal(format_of(o, "w2"), "fp32");
    cJSON_Delete(o);
}

/* Bad combinations are refused with exit 2. */
static void test_bad_options(void **state) {
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s eval-lm --model %s --tokenizer %s --text %s --ctx 8 --w int4:v16:fp16 "
             "--tie-emb --w-set emb=int8:v32:fp16 2>/dev/null",
             VSQ_CLI, ckpt, tok, text);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
    snprintf(cmd, sizeof cmd,
             "%s eval-lm --model %s --tokenizer %s --text %s --ctx 8 --split heldout "
             "2>/dev/null",
             VSQ_CLI, ckpt, tok, text); /* no story start to split at */
    rc = system(cmd);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
    snprintf(cmd, sizeof cmd, "%s eval-lm --model %s --tokenizer %s --text %s --ctx 8 "
             "--protocol llama2.c 2>/dev/null", VSQ_CLI, ckpt, tok, text);
    rc = system(cmd);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
    snprintf(cmd, sizeof cmd, /* seed 0 would repeat seed 1 (xorshift state) */
             "%s eval-lm --model %s --tokenizer %s --text %s --ctx 8 --gptq 8 --gptq-seed 0 "
             "2>/dev/null",
             VSQ_CLI, ckpt, tok, text);
    rc = system(cmd);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
}

/* --protocol llama2c: recorded in the JSON, every position scored
 * (ctx - 1 per window), and the llama.cpp protocol the second half only. */
static void test_protocol_json(void **state) {
    (void)state;
    cJSON *o = eval_json("--protocol llama2c");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "protocol")->valuestring, "llama2c");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "full_window")));
    assert_true(num(o, "tokens") == 7 * num(o, "windows"));
    cJSON_Delete(o);
    cJSON *p = eval_json("");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(p, "protocol")->valuestring, "llamacpp");
    assert_true(num(p, "tokens") == 3 * num(p, "windows")); /* positions 4..6 of 8 */
    cJSON_Delete(p);
}

/* The split point: the first "\n\nOnce upon a time" at or after the middle
 * byte; the held-out part starts at "Once". */
static void test_split_point(void **state) {
    (void)state;
    const char *t = "Once upon a time A.\n\nOnce upon a time B.\n\nThe end.\n\nOnce upon a time C.";
    size_t at = 0, n = strlen(t);
    assert_int_equal(llm_split_point(t, n, "t", &at), VSQ_OK);
    assert_true(at >= n / 2);
    assert_int_equal(strncmp(t + at, "Once upon a time C.", 19), 0);
    assert_int_equal(llm_split_point("no stories here, none at all", 28, "t", &at), VSQ_EINVAL);
}

/* Tied: the embedding rows are the classifier's dequantized codes, on the
 * fake-quant path and on the integer path (which keeps no float classifier
 * and so quantizes the table again: it must get the same codes); untied, an
 * fp16 table is the checkpoint rounded to binary16. */
static void test_tied_embedding_codes(void **state) {
    (void)state;
    llm_model m;
    assert_int_equal(llm_load(ckpt, &m), VSQ_OK);
    size_t n = (size_t)VOCAB * DIM;
    llm_quant_opts o = {.w = "int4:v16:s6@pt", .a = "int8:v16:s10@pt", .tie_emb = 1};
    assert_int_equal(llm_quantize(&m, &o), VSQ_OK);
    assert_ptr_equal(m.tok_emb, m.cls.w);
    float *fake = malloc(n * sizeof(float));
    memcpy(fake, m.tok_emb, n * sizeof(float));
    int differs = 0;
    for (size_t i = 0; i < n; i++) differs |= fake[i] != m.tok_emb0[i];
    assert_true(differs); /* it is quantized */
    o.integer = 1;
    assert_int_equal(llm_quantize(&m, &o), VSQ_OK);
    assert_null(m.cls.w == m.cls.w0 ? NULL : m.cls.w); /* no float classifier */
    assert_memory_equal(m.tok_emb, fake, n * sizeof(float));
    llm_quant_opts f16 = {.w_set = "emb=fp16"};
    assert_int_equal(llm_quantize(&m, &f16), VSQ_OK);
    for (size_t i = 0; i < n; i++) {
        float want = m.tok_emb0[i], got = m.tok_emb[i];
        /* half an fp16 ulp (normal), half the subnormal step below 2^-14 */
        float tol = fabsf(want) >= 0x1p-14f ? fabsf(want) * 0x1p-11f : 0x1p-25f;
        assert_true(fabsf(got - want) <= tol);
    }
    llm_unquantize(&m);
    assert_ptr_equal(m.tok_emb, m.tok_emb0);
    free(fake);
    llm_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bpw_embedding_fp32), cmocka_unit_test(test_bpw_tied),
        cmocka_unit_test(test_bpw_overrides),      cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_split_point),        cmocka_unit_test(test_tied_embedding_codes),
        cmocka_unit_test(test_protocol_json),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
