/* ctest-label: model */
/* test_llm.c - the Llama-architecture LLM on the shared stories260K
 * checkpoint: tokenizer round trip, exact greedy output (library and
 * CLI), fp32 NLL on a fixed slice, rejection of bad files, and the
 * integer path against the fake-quant path. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
/* cmocka needs the three headers above first */
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/llm/llm.h"

/* Mean NLL of the first 8 windows (2040 scored tokens) of the TinyStories
 * prefix, measured with this implementation; its full run (767 windows)
 * gives PPL 4.9744 (NLL 1.60430) against llama.cpp's 4.9744 (test_llm_full.c). */
#define SLICE_WINDOWS 8
#define SLICE_NLL 1.25355
#define SLICE_TOL 0.0005

/* Independent oracle: llama2.c's published validation loss of stories260K,
 * 1.2968 (doc/stories260K.md; ../shared/README.md), the mean token NLL of
 * train.py's estimate_loss: stories pretokenized with BOS each
 * (tinystories.py process_shard: strip, encode(bos=True)), consecutive
 * 512-token chunks, every position scored, no BOS put into a chunk. Here
 * the same protocol (vsq eval-lm --protocol llama2c) on the first 64
 * windows (32,704 scored tokens, ~68 KB, 90 stories) of the TinyStories
 * prefix gives 1.3071.
 * Tolerance 0.05 = 3 standard errors of a 90-story sample: the NLL of a
 * story varies (sd 0.16 per story, 0.017 for the token-weighted mean of
 * these 90, measured story by story). It is wide enough for what is not
 * the same: llama2.c's "val" is shard data00 of TinyStories_all_data, not
 * this file; our story starts are "Once upon a time" paragraphs (the file
 * lost the boundaries); a window here scores 511 positions, a chunk there
 * 512. It is not wide enough for a wrong tokenizer or forward pass.
 * Only the start of the file is a fair sample: further on it holds stories
 * with curly quotes in cp1252 mojibake (U+2019 written as the bytes
 * c3 a2 e2 82 ac e2 84 a2; 46 stories, from byte 362,498 on), which the
 * clean JSON of llama2.c's data never shows; the whole prefix gives 1.5670
 * (docs/library.md). */
#define LLAMA2C_VAL_NLL 1.2968
#define LLAMA2C_WINDOWS 64
#define LLAMA2C_TOL 0.05

static char model_path[1024], tok_path[1024], text_path[1024], greedy_path[1024];

static void set_paths(void) {
    const char *d = getenv("VSQ_SHARED");
    if (!d || !*d) d = VSQ_SHARED_DIR;
    snprintf(model_path, sizeof model_path, "%s/models/stories260K/stories260K.bin", d);
    snprintf(tok_path, sizeof tok_path, "%s/models/stories260K/tok512.bin", d);
    snprintf(text_path, sizeof text_path, "%s/data/tinystories-val/valid-prefix.txt", d);
    snprintf(greedy_path, sizeof greedy_path, "%s/models/stories260K/greedy-t0.txt", d);
}

static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    if (len) *len = (size_t)n;
    return b;
}

typedef struct {
    char buf[65536];
    size_t n;
} text_buf;

static void append(const char *piece, void *ctx) {
    text_buf *t = ctx;
    size_t k = strlen(piece);
    if (t->n + k < sizeof t->buf) {
        memcpy(t->buf + t->n, piece, k + 1);
        t->n += k;
    }
}

/* ---- tokenizer ---- */

static void round_trip(const llm_tokenizer *t, const char *text) {
    int *tok = malloc((strlen(text) + 3) * sizeof(int)), n = 0;
    assert_int_equal(llm_encode(t, text, 1, 0, tok, &n), VSQ_OK);
    assert_int_equal(tok[0], LLM_BOS);
    text_buf out = {.n = 0};
    out.buf[0] = '\0';
    for (int i = 1; i < n; i++) append(llm_decode(t, tok[i - 1], tok[i]), &out);
    assert_string_equal(out.buf, text);
    free(tok);
}

static void test_tokenizer_round_trip(void **state) {
    (void)state;
    llm_tokenizer t;
    assert_int_equal(llm_tokenizer_load(tok_path, 512, &t), VSQ_OK);
    round_trip(&t, "Once upon a time, there was a little girl named Lily.");
    round_trip(&t, "She said, \"I'm sorry!\"\n\nThe end.  Two  spaces\ttab");
    round_trip(&t,
               "caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82 \xe2\x9c\x93");
    round_trip(&t, "\xe6\x97\xa5 starts with a non-ASCII code point");
    round_trip(&t, "x");
    /* Byte fallback: a code point without a token becomes its bytes + 3. */
    int tok[16], n = 0;
    assert_int_equal(llm_encode(&t, "\xe6\x97\xa5", 0, 0, tok, &n), VSQ_OK);
    assert_int_equal(tok[n - 3], 0xe6 + 3);
    assert_int_equal(tok[n - 2], 0x97 + 3);
    assert_int_equal(tok[n - 1], 0xa5 + 3);
    /* Empty text: BOS only (no dummy prefix), EOS appended on request. */
    assert_int_equal(llm_encode(&t, "", 1, 1, tok, &n), VSQ_OK);
    assert_int_equal(n, 2);
    assert_int_equal(tok[1], LLM_EOS);
    llm_tokenizer_free(&t);
}

static void test_tokenizer_rejects_truncated(void **state) {
    (void)state;
    size_t len;
    char *b = read_all(tok_path, &len);
    char tmp[] = "/tmp/vsq_test_tok_XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, len / 2), (ssize_t)(len / 2));
    close(fd);
    llm_tokenizer t;
    assert_int_equal(llm_tokenizer_load(tmp, 512, &t), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "truncated"));
    unlink(tmp);
    free(b);
}

/* ---- checkpoint ---- */

static void test_checkpoint_header(void **state) {
    (void)state;
    llm_model m;
    assert_int_equal(llm_load(model_path, &m), VSQ_OK);
    assert_int_equal(m.cfg.dim, 64);
    assert_int_equal(m.cfg.hidden_dim, 172);
    assert_int_equal(m.cfg.n_layers, 5);
    assert_int_equal(m.cfg.n_heads, 8);
    assert_int_equal(m.cfg.n_kv_heads, 4);
    assert_int_equal(m.cfg.vocab_size, 512);
    assert_int_equal(m.cfg.shared_cls, 1);
    assert_ptr_equal(m.cls.w, m.tok_emb);
    llm_free(&m);
}

static void test_checkpoint_rejects_bad(void **state) {
    (void)state;
    size_t len;
    char *b = read_all(model_path, &len);
    float *aligned = malloc(len + 4); /* llm_parse wants 4-byte alignment */
    llm_model m;
    memcpy(aligned, b, len - 4);
    assert_int_equal(llm_parse(aligned, len - 4, "cut", &m), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "truncated"));
    assert_int_equal(llm_parse(aligned, 20, "cut", &m), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "truncated header"));
    memcpy(aligned, b, len);
    ((int32_t *)aligned)[5] = -512; /* unshared classifier: needs more data */
    assert_int_equal(llm_parse(aligned, len, "unshared", &m), VSQ_EFORMAT);
    ((int32_t *)aligned)[5] = 512;
    ((int32_t *)aligned)[3] = 7; /* 64 not divisible by 7 heads */
    assert_int_equal(llm_parse(aligned, len, "heads", &m), VSQ_EFORMAT);
    ((int32_t *)aligned)[3] = 8;
    ((int32_t *)aligned)[0] = -64;
    assert_int_equal(llm_parse(aligned, len, "neg", &m), VSQ_EFORMAT);
    /* A truncated file on disk is refused with the same message. */
    char tmp[] = "/tmp/vsq_test_ckpt_XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, len - 1000), (ssize_t)(len - 1000));
    close(fd);
    assert_int_equal(llm_load(tmp, &m), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "truncated"));
    unlink(tmp);
    free(aligned);
    free(b);
}

/* ---- generation ---- */

static void test_greedy_exact(void **state) {
    (void)state;
    llm_model m;
    llm_tokenizer t;
    llm_sampler s;
    assert_int_equal(llm_open(model_path, tok_path, &m, &t), VSQ_OK);
    assert_int_equal(llm_sampler_init(&s, 512, 0.0f, 0.9f, 42), VSQ_OK);
    static text_buf out;
    out.n = 0;
    out.buf[0] = '\0';
    int n = 0;
    assert_int_equal(llm_generate(&m, &t, &s, "", 256, append, &out, &n), VSQ_OK);
    append("\n", &out); /* llama2.c ends the output with a newline */
    char *want = read_all(greedy_path, NULL);
    assert_string_equal(out.buf, want);
    free(want);
    llm_sampler_free(&s);
    llm_tokenizer_free(&t);
    llm_free(&m);
}

static void test_cli_greedy_exact(void **state) {
    (void)state;
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "%s generate --model %s --tokenizer %s --temp 0 --steps 256 2>/dev/null", VSQ_CLI,
             model_path, tok_path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    static char got[65536];
    size_t n = fread(got, 1, sizeof got - 1, p);
    got[n] = '\0';
    assert_int_equal(pclose(p), 0);
    char *want = read_all(greedy_path, NULL);
    assert_string_equal(got, want);
    free(want);
}

/* ---- perplexity ---- */

/* The model and the tokenized evaluation text. */
static void open_with_text(llm_model *m, llm_tokenizer *t, int **tok, size_t *n) {
    assert_int_equal(llm_open(model_path, tok_path, m, t), VSQ_OK);
    *tok = NULL;
    *n = 0;
    assert_int_equal(llm_tokenize_file(t, text_path, tok, n), VSQ_OK);
}

static void test_nll_slice(void **state) {
    (void)state;
    llm_model m;
    llm_tokenizer t;
    int *tok;
    size_t n;
    open_with_text(&m, &t, &tok, &n);
    assert_int_equal(n, 393019); /* llama.cpp's count for this text */
    llm_ppl_opts o = {.ctx = 512, .limit_windows = SLICE_WINDOWS};
    llm_ppl_result r;
    assert_int_equal(llm_perplexity(&m, tok, n, &o, &r), VSQ_OK);
    assert_int_equal(r.tokens, SLICE_WINDOWS * 255);
    printf("# slice NLL %.5f (reference %.5f)\n", r.nll, SLICE_NLL);
    assert_true(fabs(r.nll - SLICE_NLL) < SLICE_TOL);
    free(tok);
    llm_tokenizer_free(&t);
    llm_free(&m);
}

/* BOS before every story: one per "Once upon a time" paragraph plus the
 * text's start; each BOS is followed by the story's own first piece. */
static void test_story_bos_tokens(void **state) {
    (void)state;
    llm_model m;
    llm_tokenizer t;
    assert_int_equal(llm_open(model_path, tok_path, &m, &t), VSQ_OK);
    int *tok = NULL;
    size_t n = 0;
    assert_int_equal(llm_tokenize_file_bos(&t, text_path, LLM_SPLIT_ALL, LLM_BOS_STORY, &tok, &n,
                                           NULL),
                     VSQ_OK);
    char *text = read_all(text_path, NULL);
    size_t stories = 1;
    for (const char *p = text; (p = strstr(p, "\n\nOnce upon a time")); p++) stories++;
    size_t bos = 0;
    for (size_t i = 0; i < n; i++) bos += tok[i] == LLM_BOS;
    assert_int_equal(tok[0], LLM_BOS);
    assert_int_equal(bos, stories);
    /* the second story: BOS, then " Once" exactly as llm_encode gives it alone */
    int one[8], k = 0;
    assert_int_equal(llm_encode(&t, "Once", 1, 0, one, &k), VSQ_OK);
    size_t second = 1;
    while (tok[second] != LLM_BOS) second++;
    assert_int_equal(tok[second + 1], one[1]);
    free(text);
    free(tok);
    llm_tokenizer_free(&t);
    llm_free(&m);
}

static void test_val_loss_llama2c(void **state) {
    (void)state;
    llm_model m;
    llm_tokenizer t;
    assert_int_equal(llm_open(model_path, tok_path, &m, &t), VSQ_OK);
    int *tok = NULL;
    size_t n = 0;
    assert_int_equal(llm_tokenize_file_bos(&t, text_path, LLM_SPLIT_ALL, LLM_BOS_STORY, &tok, &n,
                                           NULL),
                     VSQ_OK);
    llm_ppl_opts o = {.ctx = 512, .full_window = 1, .window_bos = -1,
                      .limit_windows = LLAMA2C_WINDOWS};
    llm_ppl_result r;
    assert_int_equal(llm_perplexity(&m, tok, n, &o, &r), VSQ_OK);
    assert_int_equal(r.tokens, LLAMA2C_WINDOWS * 511);
    printf("# llama2.c protocol, first %d windows: NLL %.5f (llama2.c val loss %.4f)\n",
           LLAMA2C_WINDOWS, r.nll, LLAMA2C_VAL_NLL);
    assert_true(fabs(r.nll - LLAMA2C_VAL_NLL) <= LLAMA2C_TOL);
    free(tok);
    llm_tokenizer_free(&t);
    llm_free(&m);
}

/* GPTQ rounding calibrated on self-generated text lowers the NLL of 3-bit
 * weights on the evaluation slice (it never sees that text). */
static void test_gptq_lowers_nll(void **state) {
    (void)state;
    llm_model m;
    llm_tokenizer t;
    int *tok;
    size_t n;
    open_with_text(&m, &t, &tok, &n);
    llm_ppl_opts o = {.ctx = 512, .limit_windows = SLICE_WINDOWS};
    llm_ppl_result plain, gptq;
    llm_quant_opts q = {.w = "int3f:v16:s6r@pt", .a = "int8:v16:s10@pt"};
    assert_int_equal(llm_quantize(&m, &q), VSQ_OK);
    assert_int_equal(llm_perplexity(&m, tok, n, &o, &plain), VSQ_OK);
    q.gptq_tokens = 2048;
    assert_int_equal(llm_quantize(&m, &q), VSQ_OK);
    assert_int_equal(llm_perplexity(&m, tok, n, &o, &gptq), VSQ_OK);
    printf("# int3 NLL plain %.4f, gptq %.4f (fp32 %.4f)\n", plain.nll, gptq.nll, SLICE_NLL);
    assert_true(gptq.nll < plain.nll - 0.02);
    assert_true(gptq.nll > SLICE_NLL);
    free(tok);
    llm_tokenizer_free(&t);
    llm_free(&m);
}

/* ---- integer path ---- */

/* Logits of the first `n` tokens of a fixed prompt. */
static void run_logits(const llm_model *m, const llm_tokenizer *t, float *out, int n) {
    int tok[64], k = 0;
    assert_int_equal(llm_encode(t, "Once upon a time, a little dog ran", 1, 0, tok, &k), VSQ_OK);
    assert_true(k >= n);
    llm_state s;
    assert_int_equal(llm_state_init(&s, &m->cfg), VSQ_OK);
    for (int p = 0; p < n; p++) {
        float *lg = llm_forward(m, &s, tok[p], p);
        assert_non_null(lg);
        memcpy(out + (size_t)p * m->cfg.vocab_size, lg, m->cfg.vocab_size * sizeof(float));
    }
    llm_state_free(&s);
}

static void check_int_equals_fake(const char *w, const char *a) {
    llm_model m;
    llm_tokenizer t;
    assert_int_equal(llm_open(model_path, tok_path, &m, &t), VSQ_OK);
    enum { N = 6 };
    float *fake = malloc(N * 512 * sizeof(float)), *intp = malloc(N * 512 * sizeof(float));
    llm_quant_opts q = {.w = w, .a = a};
    assert_int_equal(llm_quantize(&m, &q), VSQ_OK);
    run_logits(&m, &t, fake, N);
    q.integer = 1;
    assert_int_equal(llm_quantize(&m, &q), VSQ_OK);
    run_logits(&m, &t, intp, N);
    double worst = 0.0;
    for (int i = 0; i < N * 512; i++) {
        double d = fabs((double)fake[i] - intp[i]);
        if (d > worst) worst = d;
    }
    printf("# %s x %s: max |logit fake - integer| = %.2e\n", w, a, worst);
    assert_true(worst < 1e-3);
    free(fake);
    free(intp);
    llm_tokenizer_free(&t);
    llm_free(&m);
}

static void test_integer_w8a8(void **state) {
    (void)state;
    check_int_equals_fake("int8:v16:s8", "int8:v16:s8");
}

static void test_integer_w4a8(void **state) {
    (void)state;
    check_int_equals_fake("int4:v16:s6", "int8:v16:s10");
}

/* ---- packed kernels vs reference integer kernel ---- */

/* Greedy tokens of `n` steps from BOS (argmax of the logits). */
static void greedy_tokens(const llm_model *m, int *out, int n) {
    llm_state s;
    assert_int_equal(llm_state_init(&s, &m->cfg), VSQ_OK);
    int tok = LLM_BOS;
    for (int p = 0; p < n; p++) {
        float *lg = llm_forward(m, &s, tok, p);
        assert_non_null(lg);
        int best = 0;
        for (int i = 1; i < m->cfg.vocab_size; i++)
            if (lg[i] > lg[best]) best = i;
        out[p] = tok = best;
    }
    llm_state_free(&s);
}

/* The packed path must give the reference integer path's logits (bit for
 * bit for two-level: same codes, same int sums; fp32 rounding for float
 * scales) and the same greedy tokens, with every matrix packed and no
 * unpacked copy left. */
static void check_packed_equals_ref(const char *w, const char *a, double tol) {
    llm_model m;
    llm_tokenizer t;
    assert_int_equal(llm_open(model_path, tok_path, &m, &t), VSQ_OK);
    enum { N = 6, STEPS = 32 };
    float *ref = malloc(N * 512 * sizeof(float)), *pk = malloc(N * 512 * sizeof(float));
    int tok_ref[STEPS], tok_pk[STEPS];
    llm_quant_opts q = {.w = w, .a = a, .integer = 1, .kernel = LLM_KERNEL_REF};
    assert_int_equal(llm_quantize(&m, &q), VSQ_OK);
    assert_int_equal(m.n_packed, 0);
    run_logits(&m, &t, ref, N);
    greedy_tokens(&m, tok_ref, STEPS);
    q.kernel = LLM_KERNEL_PACKED;
    assert_int_equal(llm_quantize(&m, &q), VSQ_OK);
    assert_int_equal(m.n_ref, 0);
    assert_int_equal(m.n_packed, 7 * m.cfg.n_layers + 1);
    assert_non_null(m.wq[0].pw);
    assert_null(m.wq[0].q);
    run_logits(&m, &t, pk, N);
    greedy_tokens(&m, tok_pk, STEPS);
    double worst = 0.0;
    for (int i = 0; i < N * 512; i++) {
        double d = fabs((double)ref[i] - pk[i]) / (1.0 + fabs((double)ref[i]));
        if (d > worst) worst = d;
    }
    printf("# %s x %s: max rel |logit ref - packed| = %.2e\n", w, a, worst);
    assert_true(worst <= tol);
    assert_memory_equal(tok_ref, tok_pk, sizeof tok_ref);
    free(ref);
    free(pk);
    llm_tokenizer_free(&t);
    llm_free(&m);
}

static void test_packed_w8a8(void **state) {
    (void)state;
    check_packed_equals_ref("int8:v16:s8", "int8:v16:s8", 0.0);
}

static void test_packed_w4a8(void **state) {
    (void)state;
    check_packed_equals_ref("int4:v16:s6", "int8:v16:s10", 0.0);
}

static void test_packed_fp16_scales(void **state) {
    (void)state;
    check_packed_equals_ref("int4:v32:fp16", "int8:v32:fp16", 1e-5);
}

/* Formats the packed kernels lack fall back, per matrix, to the ref path. */
static void test_packed_fallback(void **state) {
    (void)state;
    llm_model m;
    llm_tokenizer t;
    assert_int_equal(llm_open(model_path, tok_path, &m, &t), VSQ_OK);
    llm_quant_opts q = {.w = "int8:v16:s8", .a = "int8:v16:s8", .integer = 1,
                        .w_set = "wv=int8:pc:fp32"};
    assert_int_equal(llm_quantize(&m, &q), VSQ_OK);
    assert_int_equal(m.n_ref, m.cfg.n_layers);
    assert_int_equal(m.n_packed, 6 * m.cfg.n_layers + 1);
    assert_non_null(strstr(m.kernel_note, "wv"));
    assert_non_null(m.wv[0].q);
    float lg[512];
    run_logits(&m, &t, lg, 1);
    q.kernel = 7;
    assert_int_not_equal(llm_quantize(&m, &q), VSQ_OK);
    llm_tokenizer_free(&t);
    llm_free(&m);
}

int main(void) {
    set_paths();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenizer_round_trip),
        cmocka_unit_test(test_tokenizer_rejects_truncated),
        cmocka_unit_test(test_checkpoint_header),
        cmocka_unit_test(test_checkpoint_rejects_bad),
        cmocka_unit_test(test_greedy_exact),
        cmocka_unit_test(test_cli_greedy_exact),
        cmocka_unit_test(test_nll_slice),
        cmocka_unit_test(test_story_bos_tokens),
        cmocka_unit_test(test_val_loss_llama2c),
        cmocka_unit_test(test_gptq_lowers_nll),
        cmocka_unit_test(test_integer_w8a8),
        cmocka_unit_test(test_integer_w4a8),
        cmocka_unit_test(test_packed_w8a8),
        cmocka_unit_test(test_packed_w4a8),
        cmocka_unit_test(test_packed_fp16_scales),
        cmocka_unit_test(test_packed_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
