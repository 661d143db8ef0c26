/* ctest-label: model */
/* test_wordpiece.c - the BERT WordPiece tokenizer (src/models/bert/wordpiece.c):
 * every id of all 4,000 sentence-polarity sentences equal to Hugging Face
 * `tokenizers`' (shared reference file); each rule of the pipeline on a
 * small vocabulary written here, with the expected pieces derived by hand;
 * the same rules on the real all-MiniLM-L6-v2 vocabulary; rejection of
 * malformed vocabularies, configs and text. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
/* cmocka needs the three headers above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "models/bert/wordpiece.h"

static char shared[1024];

static void set_shared(void) {
    const char *d = getenv("VSQ_SHARED");
    snprintf(shared, sizeof shared, "%s", d && *d ? d : VSQ_SHARED_DIR);
}

/* Write `text` to a fresh temp file; returns its path (static buffer). */
static const char *temp_file(const char *text, size_t len) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/vsq_wp_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

/* ---- the small vocabulary ---- */

/* Ids are line indices: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then
 * the words of the hand-derived cases below. "he"/"##llo" exist so that
 * "hello" tests longest-match-first. */
static const char small_vocab[] =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"
    "cafe\nnandu\ndon\n'\nt\n"                     /* 5-9 */
    "un\n##aff\n##able\n,\n!\n"                    /* 10-14 */
    "\xe4\xbd\xa0\n\xe5\xa5\xbd\nhello\nworld\n##s\n" /* 15 你, 16 好, 17-19 */
    "a\n##b\nx\n##x\nhe\n"                         /* 20-24 */
    "##llo\n\xe2\x80\x94\n$\ncaf\xc3\xa9\n"        /* 25, 26 em dash, 27, 28 café */
    "a\xf0\x9d\x85\xa5\xf0\x9d\x85\xad\n"             /* 29: a U+1D165 U+1D16D */
    "i\xcc\x87\n";                                /* 30: i U+0307 */

static bert_tokenizer *small(int lower) {
    bert_tokenizer *t;
    const char *path = temp_file(small_vocab, sizeof small_vocab - 1);
    assert_int_equal(bert_tokenizer_load(path, lower, &t), VSQ_OK);
    unlink(path);
    return t;
}

/* Encode and compare with the expected ids (terminated by -1). */
static void expect_ids(const bert_tokenizer *t, const char *text, int max_len, const int *want) {
    int32_t ids[256];
    int n = -1, nw = 0;
    while (want[nw] >= 0) nw++;
    assert_int_equal(bert_encode(t, text, max_len, ids, &n), VSQ_OK);
    int same = n == nw;
    for (int i = 0; same && i < n; i++) same = ids[i] == want[i];
    if (!same) {
        print_error("text \"%s\": got", text);
        for (int i = 0; i < n; i++) print_error(" %d", ids[i]);
        print_error(", want");
        for (int i = 0; i < nw; i++) print_error(" %d", want[i]);
        print_error("\n");
    }
    assert_true(same);
}

#define IDS(...) ((const int[]){__VA_ARGS__, -1})

static void test_small_rules(void **state) {
    (void)state;
    bert_tokenizer *t = small(1);
    assert_int_equal(bert_vocab_size(t), 31);
    assert_int_equal(bert_token_id(t, "##aff"), 11);
    assert_int_equal(bert_token_id(t, "aff"), -1);
    assert_string_equal(bert_token_str(t, 26), "\xe2\x80\x94");
    assert_null(bert_token_str(t, 31));
    assert_null(bert_token_str(t, -1));
    /* accents: NFD then drop Mn, lower-case: "Café Ñandú" -> cafe nandu */
    expect_ids(t, "Caf\xc3\xa9 \xc3\x91" "and\xc3\xba", 128, IDS(2, 5, 6, 3));
    /* the same accents in decomposed form (e + U+0301) */
    expect_ids(t, "cafe\xcc\x81", 128, IDS(2, 5, 3));
    /* punctuation is its own word: don ' t; "hello!" -> hello ! */
    expect_ids(t, "don't", 128, IDS(2, 7, 8, 9, 3));
    expect_ids(t, "HELLO!,", 128, IDS(2, 17, 14, 13, 3));
    /* ASCII '$' is punctuation for BERT (Unicode: symbol Sc); em dash is Pd */
    expect_ids(t, "a$a\xe2\x80\x94" "a", 128, IDS(2, 20, 27, 20, 26, 20, 3));
    /* "##" continuations, greedy longest match first (hello, not he ##llo) */
    expect_ids(t, "unaffable hellos ab", 128, IDS(2, 10, 11, 12, 17, 19, 20, 21, 3));
    /* CJK ideographs are words of their own, even inside other text */
    expect_ids(t, "hello\xe4\xbd\xa0\xe5\xa5\xbdworld", 128, IDS(2, 17, 15, 16, 18, 3));
    /* control characters (U+0001, DEL, U+200B format, U+FFFD) dropped;
     * tab, NBSP and ideographic space separate words */
    expect_ids(t, "hel\x01lo\x7f wor\xe2\x80\x8bld\xef\xbf\xbd", 128, IDS(2, 17, 18, 3));
    expect_ids(t, "hello\tworld\xc2\xa0hello\xe3\x80\x80world", 128, IDS(2, 17, 18, 17, 18, 3));
    /* unknown words: no piece at all, or a remainder without "##" piece */
    expect_ids(t, "zebra hello helloq", 128, IDS(2, 1, 17, 1, 3));
    /* 100 characters split into pieces (a + 99 ##x), 101 are one [UNK] */
    char w[128];
    memset(w, 'x', sizeof w);
    w[0] = 'a';
    w[100] = '\0';
    int32_t ids[128];
    int n;
    assert_int_equal(bert_encode(t, w, 128, ids, &n), VSQ_OK);
    assert_int_equal(n, 102);
    assert_int_equal(ids[1], 20);
    for (int i = 2; i < 101; i++) assert_int_equal(ids[i], 23);
    w[100] = 'x';
    w[101] = '\0';
    expect_ids(t, w, 128, IDS(2, 1, 3));
    /* empty and blank text: [CLS] [SEP] */
    expect_ids(t, "", 128, IDS(2, 3));
    expect_ids(t, " \t\x01 ", 128, IDS(2, 3));
    /* NFD reorders marks by combining class: U+1D16D (226) after U+1D165
     * (216); both are Mc, so they survive the Mn removal */
    expect_ids(t, "a\xf0\x9d\x85\xad\xf0\x9d\x85\xa5", 128, IDS(2, 29, 3));
    /* U+0130 decomposes to I U+0307, the mark goes: "i" is not a word here */
    expect_ids(t, "\xc4\xb0", 128, IDS(2, 1, 3));
    /* special tokens in the raw text stay whole, even glued to words */
    expect_ids(t, "hello[MASK]world [SEP]", 128, IDS(2, 17, 4, 18, 3, 3));
    bert_tokenizer_free(t);
}

static void test_small_truncation(void **state) {
    (void)state;
    bert_tokenizer *t = small(1);
    /* cut by pieces, also inside a word; [SEP] always last */
    expect_ids(t, "unaffable world", 5, IDS(2, 10, 11, 12, 3));
    expect_ids(t, "unaffable world", 4, IDS(2, 10, 11, 3));
    expect_ids(t, "unaffable world", 3, IDS(2, 10, 3));
    expect_ids(t, "unaffable world", 2, IDS(2, 3));
    expect_ids(t, "hello [MASK] world", 3, IDS(2, 17, 3));
    int32_t ids[4];
    int n;
    assert_int_equal(bert_encode(t, "hello", 1, ids, &n), VSQ_EINVAL);
    assert_int_equal(bert_encode(t, "hello", 0, ids, &n), VSQ_EINVAL);
    bert_tokenizer_free(t);
}

static void test_small_cased(void **state) {
    (void)state;
    bert_tokenizer *t = small(0);
    /* no lower-casing, accents kept */
    expect_ids(t, "Hello hello caf\xc3\xa9 cafe", 128, IDS(2, 1, 17, 28, 5, 3));
    bert_tokenizer_free(t);
}

static void expect_bad_text(const char *text, const char *offset_msg) {
    bert_tokenizer *t = small(1);
    int32_t ids[16];
    int n = 7;
    assert_int_equal(bert_encode(t, text, 16, ids, &n), VSQ_EINVAL);
    assert_int_equal(n, 0);
    if (!strstr(vsq_last_error(), offset_msg))
        print_error("message \"%s\" lacks \"%s\"\n", vsq_last_error(), offset_msg);
    assert_non_null(strstr(vsq_last_error(), offset_msg));
    bert_tokenizer_free(t);
}

static void test_invalid_utf8(void **state) {
    (void)state;
    expect_bad_text("ab\xc3(", "byte offset 2");          /* bad continuation */
    expect_bad_text("\xc0\xaf", "byte offset 0");          /* overlong '/' */
    expect_bad_text("abc\xed\xa0\x80", "byte offset 3");   /* surrogate U+D800 */
    expect_bad_text("\xf4\x90\x80\x80", "byte offset 0");  /* past U+10FFFF */
    expect_bad_text("hello \xe4\xbd", "byte offset 6");    /* truncated */
    expect_bad_text("\xff", "byte offset 0");
}

/* ---- malformed vocabularies ---- */

static void expect_bad_vocab(const char *text, size_t len, const char *what) {
    const char *path = temp_file(text, len);
    bert_tokenizer *t = (bert_tokenizer *)1;
    assert_int_equal(bert_tokenizer_load(path, 1, &t), VSQ_EFORMAT);
    assert_null(t);
    const char *msg = vsq_last_error();
    if (!strstr(msg, path) || !strstr(msg, what))
        print_error("message \"%s\" should name %s and say \"%s\"\n", msg, path, what);
    assert_non_null(strstr(msg, path));
    assert_non_null(strstr(msg, what));
    unlink(path);
}

#define BAD_VOCAB(s, what) expect_bad_vocab(s, sizeof s - 1, what)

static void test_bad_vocab(void **state) {
    (void)state;
    BAD_VOCAB("", "empty");
    BAD_VOCAB("[PAD]\n[CLS]\n[SEP]\nhello\n", "[UNK] missing");
    BAD_VOCAB("[PAD]\n[UNK]\n[CLS]\nhello\n", "[SEP] missing");
    BAD_VOCAB("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\nhello\n", "line 7");
    BAD_VOCAB("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\nhello\n", "duplicates line 5");
    BAD_VOCAB("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\r\nhello \n", "duplicates line 5");
    BAD_VOCAB("[PAD]\n[UNK]\n\n[CLS]\n[SEP]\n", "line 3 is an empty token");
    BAD_VOCAB("[PAD]\n[UNK]\n[CLS]\n[SEP]\nab\xc3(\n", "invalid UTF-8");
    BAD_VOCAB("[PAD]\n[UNK]\n[CLS]\n[SEP]\na\0b\n", "NUL");
    char big[1200] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n";
    size_t k = strlen(big);
    memset(big + k, 'q', 1100);
    big[k + 1100] = '\n';
    expect_bad_vocab(big, k + 1101, "line 5 is 1100 bytes");
    /* a missing file is an i/o error naming it */
    bert_tokenizer *t;
    assert_int_equal(bert_tokenizer_load("/nonexistent/vocab.txt", 1, &t), VSQ_EIO);
    assert_non_null(strstr(vsq_last_error(), "/nonexistent/vocab.txt"));
}

static void test_vocab_line_ends(void **state) {
    (void)state;
    /* CRLF and trailing blanks are trimmed; no final newline is fine */
    static const char v[] = "[PAD]\r\n[UNK]\r\n[CLS] \r\n[SEP]\t\nhello";
    bert_tokenizer *t;
    assert_int_equal(bert_tokenizer_parse(v, sizeof v - 1, "mem", 1, &t), VSQ_OK);
    assert_int_equal(bert_vocab_size(t), 5);
    assert_int_equal(bert_token_id(t, "[CLS]"), 2);
    expect_ids(t, "Hello", 8, IDS(2, 4, 3));
    bert_tokenizer_free(t);
}

/* ---- tokenizer_config.json ---- */

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_load_dir(void **state) {
    (void)state;
    char dir[] = "/tmp/vsq_wpdir_XXXXXX", vocab[128], cfg[128];
    assert_non_null(mkdtemp(dir));
    snprintf(vocab, sizeof vocab, "%s/vocab.txt", dir);
    snprintf(cfg, sizeof cfg, "%s/tokenizer_config.json", dir);
    write_text(vocab, small_vocab);
    bert_tokenizer *t;
    const char *text = "caf\xc3\xa9 HELLO";
    /* no config: uncased */
    assert_int_equal(bert_tokenizer_load_dir(dir, &t), VSQ_OK);
    expect_ids(t, text, 16, IDS(2, 5, 17, 3));
    bert_tokenizer_free(t);
    /* cased */
    write_text(cfg, "{\"do_lower_case\": false, \"strip_accents\": null}");
    assert_int_equal(bert_tokenizer_load_dir(dir, &t), VSQ_OK);
    expect_ids(t, text, 16, IDS(2, 28, 1, 3));
    bert_tokenizer_free(t);
    /* lower-cased but accents kept */
    write_text(cfg, "{\"do_lower_case\": true, \"strip_accents\": false}");
    assert_int_equal(bert_tokenizer_load_dir(dir, &t), VSQ_OK);
    expect_ids(t, text, 16, IDS(2, 28, 17, 3));
    /* accents kept: U+0130 lower-cases to i U+0307 (full case mapping) */
    expect_ids(t, "\xc4\xb0", 16, IDS(2, 30, 3));
    bert_tokenizer_free(t);
    /* malformed configs name the file */
    write_text(cfg, "{\"do_lower_case\": 1}");
    assert_int_equal(bert_tokenizer_load_dir(dir, &t), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "tokenizer_config.json"));
    assert_non_null(strstr(vsq_last_error(), "do_lower_case"));
    write_text(cfg, "{\"do_lower_case\": tru");
    assert_int_equal(bert_tokenizer_load_dir(dir, &t), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "tokenizer_config.json"));
    write_text(cfg, "{\"tokenize_chinese_chars\": false}");
    assert_int_equal(bert_tokenizer_load_dir(dir, &t), VSQ_EUNSUPPORTED);
    unlink(cfg);
    unlink(vocab);
    assert_int_equal(bert_tokenizer_load_dir(dir, &t), VSQ_EIO);
    assert_non_null(strstr(vsq_last_error(), "vocab.txt"));
    rmdir(dir);
}

/* ---- the real vocabulary ---- */

static bert_tokenizer *real(void) {
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/models/all-minilm-l6-v2", shared);
    bert_tokenizer *t;
    assert_int_equal(bert_tokenizer_load_dir(dir, &t), VSQ_OK);
    return t;
}

/* Encode and compare the pieces as strings (NULL-terminated list, without
 * [CLS]/[SEP]). The pieces follow from the rules and vocab.txt; they also
 * agree with HF tokenizers 0.23.3. */
static void expect_pieces(const bert_tokenizer *t, const char *text, const char *const *want) {
    int32_t ids[256];
    int n;
    assert_int_equal(bert_encode(t, text, 256, ids, &n), VSQ_OK);
    int nw = 0;
    while (want[nw]) nw++;
    int same = n == nw + 2 && ids[0] == 101 && ids[n - 1] == 102;
    for (int i = 0; same && i < nw; i++) same = !strcmp(bert_token_str(t, ids[i + 1]), want[i]);
    if (!same) {
        print_error("text \"%s\": got", text);
        for (int i = 0; i < n; i++) print_error(" %s", bert_token_str(t, ids[i]));
        print_error("\n");
    }
    assert_true(same);
}

#define PIECES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_real_rules(void **state) {
    (void)state;
    bert_tokenizer *t = real();
    assert_int_equal(bert_vocab_size(t), 30522);
    assert_int_equal(bert_token_id(t, "[PAD]"), 0);
    assert_int_equal(bert_token_id(t, "[UNK]"), 100);
    assert_int_equal(bert_token_id(t, "[CLS]"), 101);
    assert_int_equal(bert_token_id(t, "[SEP]"), 102);
    expect_pieces(t, "Caf\xc3\xa9 \xc3\x91" "and\xc3\xba", PIECES("cafe", "nan", "##du"));
    expect_pieces(t, "Don't STOP!", PIECES("don", "'", "t", "stop", "!"));
    expect_pieces(t, "unaffable", PIECES("una", "##ffa", "##ble"));
    /* 你 and 界 are not in this vocab, 世 and the fullwidth comma are */
    expect_pieces(t, "\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c",
                  PIECES("[UNK]", "[UNK]", "\xef\xbc\x8c", "\xe4\xb8\x96", "[UNK]"));
    /* NBSP separates, U+200B and BEL vanish, so "x" continues "facade" */
    expect_pieces(t, "na\xc3\xafve\xc2\xa0" "fa\xc3\xa7" "ade\xe2\x80\x8b\x07x",
                  PIECES("naive", "facade", "##x"));
    /* NFD is canonical only: the ligature U+FB01 stays (NFKD would split it) */
    expect_pieces(t, "\xef\xac\x81ne", PIECES("\xef\xac\x81", "##ne"));
    /* U+0130 decomposes to I + U+0307; the mark goes, I is lower-cased */
    expect_pieces(t, "\xc4\xb0stanbul", PIECES("istanbul"));
    expect_pieces(t, "$5.00 \xe2\x80\x94 50%", PIECES("$", "5", ".", "00", "\xe2\x80\x94", "50", "%"));
    expect_pieces(t, "hello [MASK] world[SEP]", PIECES("hello", "[MASK]", "world", "[SEP]"));
    char w[102];
    memset(w, 'a', 101);
    w[101] = '\0';
    expect_pieces(t, w, PIECES("[UNK]"));
    bert_tokenizer_free(t);
}

/* Splits "LABEL\tTEXT" lines and reference id lines; compares all. */
static void test_reference_ids(void **state) {
    (void)state;
    char path[1200], ref_path[1200];
    snprintf(path, sizeof path, "%s/data/sentence-polarity/sentences.tsv", shared);
    snprintf(ref_path, sizeof ref_path, "%s/data/sentence-polarity/reference/token_ids.txt",
             shared);
    FILE *f = fopen(path, "r"), *r = fopen(ref_path, "r");
    assert_non_null(f);
    assert_non_null(r);
    bert_tokenizer *t = real();
    char *line = NULL, *ref = NULL;
    size_t cap = 0, rcap = 0;
    int count = 0;
    long total_ids = 0;
    double secs = 0;
    while (getline(&line, &cap, f) > 0) {
        assert_true(getline(&ref, &rcap, r) > 0);
        line[strcspn(line, "\n")] = '\0';
        char *text = strchr(line, '\t');
        assert_non_null(text);
        text++;
        int32_t ids[128];
        int n;
        clock_t c0 = clock();
        assert_int_equal(bert_encode(t, text, 128, ids, &n), VSQ_OK);
        secs += (double)(clock() - c0) / CLOCKS_PER_SEC;
        char *p = ref, *end;
        for (int i = 0; i < n || *p != '\n'; i++) {
            long want = strtol(p, &end, 10);
            int bad = end == p || i >= n || want != ids[i];
            if (bad) {
                print_error("sentence %d \"%s\": id %d: expected %s got %d\n", count, text, i,
                            end == p ? "end of line" : strtok(p, " \n"),
                            i < n ? (int)ids[i] : -1);
                fail();
            }
            p = end;
        }
        total_ids += n;
        count++;
    }
    assert_int_equal(count, 4000);
    assert_int_equal(total_ids, 109042);
    assert_true(getline(&ref, &rcap, r) < 0);
    print_message("4000 sentences, %ld ids, all equal to the reference; encode time %.3f s\n",
                  total_ids, secs);
    free(line);
    free(ref);
    fclose(f);
    fclose(r);
    bert_tokenizer_free(t);
}

int main(void) {
    set_shared();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_rules),     cmocka_unit_test(test_small_truncation),
        cmocka_unit_test(test_small_cased),     cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_bad_vocab),       cmocka_unit_test(test_vocab_line_ends),
        cmocka_unit_test(test_load_dir),        cmocka_unit_test(test_real_rules),
        cmocka_unit_test(test_reference_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
