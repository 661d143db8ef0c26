/* BERT WordPiece tokenizer: vocab.txt loading, a hash table of pieces, the
 * BertNormalizer / BertPreTokenizer / WordPiece pipeline of Hugging Face
 * `tokenizers` (see wordpiece.h for the steps). Where HF's Python
 * BertTokenizer and `tokenizers` differ in a corner (the order of lower-
 * casing and accent stripping; final sigma), this follows `tokenizers`,
 * which produced the shared reference ids. */
#include "models/bert/wordpiece.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utf8proc.h>

#include "io/io.h"

/* The special tokens HF keeps whole when they occur in the raw text
 * (tokenizer.json "added_tokens"); the first four must be in the vocab. */
static const char *const special_names[] = {"[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"};
enum { N_REQUIRED = 4, N_SPECIAL = 5 };

struct bert_tokenizer {
    char *what;        /* file name for messages */
    char *arena;       /* all tokens, NUL-terminated, in id order */
    const char **tok;  /* tok[id] points into arena */
    uint32_t *tok_len; /* bytes */
    int n;
    int32_t *slot; /* open-addressing table of ids, -1 = empty */
    size_t mask;   /* table size - 1 (power of two) */
    size_t longest; /* longest token in bytes: bounds the piece search */
    int unk, cls, sep;
    int special_id[N_SPECIAL]; /* -1 where absent ([MASK] is optional) */
    int lower, strip;
};

/* ---- the piece table ---- */

static uint64_t fnv1a(uint64_t h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Hash of the token "##s" (continuation) or "s", without building it. */
static uint64_t piece_hash(int cont, const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    if (cont) h = fnv1a(h, "##", 2);
    return fnv1a(h, s, n);
}

/* Id of token "##s" / "s" (s: n bytes), or -1. */
static int find_piece(const bert_tokenizer *t, int cont, const char *s, size_t n) {
    size_t pre = cont ? 2 : 0;
    for (size_t i = piece_hash(cont, s, n) & t->mask;; i = (i + 1) & t->mask) {
        int32_t id = t->slot[i];
        if (id < 0) return -1;
        const char *k = t->tok[id];
        if (t->tok_len[id] == n + pre && (!cont || (k[0] == '#' && k[1] == '#')) &&
            memcmp(k + pre, s, n) == 0)
            return id;
    }
}

/* Insert token `id`; returns the id already holding the same text, or -1. */
static int insert_token(bert_tokenizer *t, int id) {
    const char *s = t->tok[id];
    size_t n = t->tok_len[id];
    size_t i = piece_hash(0, s, n) & t->mask;
    for (; t->slot[i] >= 0; i = (i + 1) & t->mask) {
        int32_t o = t->slot[i];
        if (t->tok_len[o] == n && memcmp(t->tok[o], s, n) == 0) return o;
    }
    t->slot[i] = id;
    return -1;
}

/* ---- loading ---- */

/* Byte offset of the first invalid UTF-8 sequence in s[0..n) (overlong
 * forms, surrogates and code points past U+10FFFF included), or n. */
static size_t utf8_invalid_at(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t r = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (r <= 0) return i;
        i += (size_t)r;
    }
    return n;
}

static size_t count_lines(const char *text, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += text[i] == '\n';
    return n + (len > 0 && text[len - 1] != '\n');
}

/* Check one line (already trimmed) of the vocab; `line` is 1-based. */
static vsq_status check_line(const bert_tokenizer *t, const char *s, size_t n, size_t line) {
    if (n == 0) return vsq_error(VSQ_EFORMAT, "%s: line %zu is an empty token", t->what, line);
    if (n > BERT_MAX_TOKEN_BYTES)
        return vsq_error(VSQ_EFORMAT, "%s: line %zu is %zu bytes long (max %d)", t->what, line,
                         n, BERT_MAX_TOKEN_BYTES);
    if (memchr(s, '\0', n))
        return vsq_error(VSQ_EFORMAT, "%s: line %zu contains a NUL byte", t->what, line);
    size_t bad = utf8_invalid_at((const uint8_t *)s, n);
    if (bad < n)
        return vsq_error(VSQ_EFORMAT, "%s: line %zu: invalid UTF-8 at byte %zu of the line",
                         t->what, line, bad);
    return VSQ_OK;
}

/* Allocate the token arrays and the table for n tokens of len bytes. */
static vsq_status alloc_vocab(bert_tokenizer *t, size_t n, size_t len) {
    if (n > (size_t)INT_MAX / 4)
        return vsq_error(VSQ_EFORMAT, "%s: %zu tokens is too many", t->what, n);
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2; /* load factor <= 1/2 */
    t->mask = cap - 1;
    t->arena = malloc(len + 1);
    t->tok = malloc(n * sizeof *t->tok);
    t->tok_len = malloc(n * sizeof *t->tok_len);
    t->slot = malloc(cap * sizeof *t->slot);
    if (!t->arena || !t->tok || !t->tok_len || !t->slot)
        return vsq_error(VSQ_ENOMEM, "%s: out of memory for %zu tokens", t->what, n);
    memset(t->slot, 0xff, cap * sizeof *t->slot); /* all -1 */
    return VSQ_OK;
}

/* Split the text into lines (id = line index), trim trailing ' ', '\t',
 * '\r' as `tokenizers` does, check and index every token. */
static vsq_status parse_vocab(bert_tokenizer *t, const char *text, size_t len) {
    size_t n = count_lines(text, len);
    if (n == 0) return vsq_error(VSQ_EFORMAT, "%s: empty vocabulary file", t->what);
    vsq_status st = alloc_vocab(t, n, len);
    if (st) return st;
    char *dst = t->arena;
    const char *p = text, *end = text + len;
    for (size_t id = 0; id < n; id++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        size_t k = (size_t)(e - p);
        while (k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t' || p[k - 1] == '\r')) k--;
        if ((st = check_line(t, p, k, id + 1))) return st;
        memcpy(dst, p, k);
        dst[k] = '\0';
        t->tok[id] = dst;
        t->tok_len[id] = (uint32_t)k;
        t->n = (int)id + 1;
        int dup = insert_token(t, (int)id);
        if (dup >= 0)
            return vsq_error(VSQ_EFORMAT, "%s: line %zu: token \"%s\" duplicates line %d",
                             t->what, id + 1, dst, dup + 1);
        if (k > t->longest) t->longest = k;
        dst += k + 1;
        p = e + 1;
    }
    return VSQ_OK;
}

static vsq_status find_specials(bert_tokenizer *t) {
    for (int i = 0; i < N_SPECIAL; i++) {
        t->special_id[i] = bert_token_id(t, special_names[i]);
        if (i < N_REQUIRED && t->special_id[i] < 0)
            return vsq_error(VSQ_EFORMAT, "%s: special token %s missing from the vocabulary",
                             t->what, special_names[i]);
    }
    t->unk = t->special_id[0];
    t->cls = t->special_id[1];
    t->sep = t->special_id[2];
    return VSQ_OK;
}

vsq_status bert_tokenizer_parse(const char *text, size_t len, const char *what,
                                int do_lower_case, bert_tokenizer **out) {
    *out = NULL;
    bert_tokenizer *t = calloc(1, sizeof *t);
    if (!t || !(t->what = strdup(what ? what : "vocab"))) {
        free(t);
        return vsq_error(VSQ_ENOMEM, "%s: out of memory", what ? what : "vocab");
    }
    t->lower = t->strip = do_lower_case != 0;
    vsq_status st = parse_vocab(t, text, len);
    if (!st) st = find_specials(t);
    if (st) {
        bert_tokenizer_free(t);
        return st;
    }
    *out = t;
    return VSQ_OK;
}

vsq_status bert_tokenizer_load(const char *vocab_path, int do_lower_case, bert_tokenizer **out) {
    *out = NULL;
    uint8_t *buf;
    size_t len;
    vsq_status st = vsq_read_file(vocab_path, &buf, &len);
    if (st) return st;
    st = bert_tokenizer_parse((const char *)buf, len, vocab_path, do_lower_case, out);
    free(buf);
    return st;
}

/* A boolean field of tokenizer_config.json: absent or null keeps *v. */
static vsq_status config_bool(const cJSON *root, const char *key, const char *path, int *v) {
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!f || cJSON_IsNull(f)) return VSQ_OK;
    if (!cJSON_IsBool(f))
        return vsq_error(VSQ_EFORMAT, "%s: field \"%s\" is not true/false/null", path, key);
    *v = cJSON_IsTrue(f);
    return VSQ_OK;
}

/* do_lower_case and strip_accents from tokenizer_config.json (if any). */
static vsq_status read_config(const char *path, int *lower, int *strip) {
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT) return VSQ_OK; /* defaults */
    uint8_t *buf;
    size_t len;
    vsq_status st = vsq_read_file(path, &buf, &len);
    if (st) return st;
    cJSON *root = cJSON_ParseWithLength((const char *)buf, len);
    free(buf);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return vsq_error(VSQ_EFORMAT, "%s: not a JSON object", path);
    }
    int chinese = 1;
    *strip = -1;
    st = config_bool(root, "do_lower_case", path, lower);
    if (!st) st = config_bool(root, "strip_accents", path, strip);
    if (!st) st = config_bool(root, "tokenize_chinese_chars", path, &chinese);
    if (!st && !chinese)
        st = vsq_error(VSQ_EUNSUPPORTED, "%s: tokenize_chinese_chars false is not supported",
                       path);
    cJSON_Delete(root);
    return st;
}

vsq_status bert_tokenizer_load_dir(const char *model_dir, bert_tokenizer **out) {
    *out = NULL;
    char cfg[4096], vocab[4096];
    if ((size_t)snprintf(cfg, sizeof cfg, "%s/tokenizer_config.json", model_dir) >= sizeof cfg ||
        (size_t)snprintf(vocab, sizeof vocab, "%s/vocab.txt", model_dir) >= sizeof vocab)
        return vsq_error(VSQ_EINVAL, "model folder path too long: %s", model_dir);
    int lower = 1, strip = -1;
    vsq_status st = read_config(cfg, &lower, &strip);
    if (!st) st = bert_tokenizer_load(vocab, lower, out);
    if (!st && strip >= 0) (*out)->strip = strip; /* HF: strip_accents unset = lower */
    return st;
}

void bert_tokenizer_free(bert_tokenizer *t) {
    if (!t) return;
    free(t->what);
    free(t->arena);
    free(t->tok);
    free(t->tok_len);
    free(t->slot);
    free(t);
}

int bert_token_id(const bert_tokenizer *t, const char *token) {
    return t && token ? find_piece(t, 0, token, strlen(token)) : -1;
}

const char *bert_token_str(const bert_tokenizer *t, int id) {
    return t && id >= 0 && id < t->n ? t->tok[id] : NULL;
}

int bert_vocab_size(const bert_tokenizer *t) { return t ? t->n : 0; }

/* ---- character classes (Unicode data from utf8proc) ---- */

/* Rust's char::is_whitespace (the White_Space property = Z* + controls
 * 9-13 and U+0085), which `tokenizers` uses; tab/LF/CR explicitly. */
static int is_space(int32_t c) {
    if ((c >= 9 && c <= 13) || c == 0x85) return 1;
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL || k == UTF8PROC_CATEGORY_ZP;
}

/* Categories Cc, Cf, Cs, Co, except tab, LF, CR (which are spaces).
 * `tokenizers` keeps unassigned code points (Cn), unlike Python's
 * BertTokenizer; the reference ids come from `tokenizers`. */
static int is_control(int32_t c) {
    if (c == '\t' || c == '\n' || c == '\r') return 0;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO: return 1;
    default: return 0;
    }
}

/* ASCII punctuation (even $, +, <, =, >, ^, `, |, ~, which Unicode calls
 * symbols) and the Unicode P* categories. */
static int is_punct(int32_t c) {
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
        (c >= 123 && c <= 126))
        return 1;
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}

/* The CJK Unified Ideographs blocks BERT's tokenizer splits per character
 * (BERT's own definition, not a Unicode property). `tokenizers` starts the
 * fifth range at U+2B920 where Google's BERT has U+2B820; we follow
 * `tokenizers`, so U+2B820..U+2B91F are not split. */
static int is_cjk(int32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* ---- normalization (BertNormalizer) ---- */

typedef struct {
    int32_t *v;
    size_t n, cap;
} cpbuf;

static int cp_push(cpbuf *b, int32_t c) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        int32_t *v = cap < SIZE_MAX / sizeof *v ? realloc(b->v, cap * sizeof *v) : NULL;
        if (!v) return -1;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = c;
    return 0;
}

static int ccc(int32_t c) { return utf8proc_get_property(c)->combining_class; }

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Canonical ordering of NFD: every run of non-starters sorted by combining
 * class, stably. Key = class | position in the run | code point, so that
 * qsort is stable and a long run of marks costs O(n log n). */
static int canonical_order(int32_t *v, size_t n) {
    uint64_t *key = NULL;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && ccc(v[j]) != 0) j++;
        if (j - i > 1) {
            if (j - i >= (size_t)1 << 35 || (!key && !(key = malloc(n * sizeof *key)))) return -1;
            for (size_t k = i; k < j; k++)
                key[k - i] = (uint64_t)ccc(v[k]) << 56 | (uint64_t)(k - i) << 21 | (uint32_t)v[k];
            qsort(key, j - i, sizeof *key, cmp_u64);
            for (size_t k = i; k < j; k++) v[k] = (int32_t)(key[k - i] & 0x1FFFFF);
        }
        i = j > i ? j : i + 1;
    }
    free(key);
    return 0;
}

/* NFD of one code point (without the reordering), or c itself when
 * accents are kept. */
static int decompose_push(const bert_tokenizer *t, int32_t c, cpbuf *out) {
    if (!t->strip) return cp_push(out, c);
    utf8proc_int32_t d[32];
    utf8proc_ssize_t k = utf8proc_decompose_char(c, d, 32, UTF8PROC_DECOMPOSE, NULL);
    if (k < 0 || k > 32) return -1;
    for (utf8proc_ssize_t i = 0; i < k; i++)
        if (cp_push(out, d[i])) return -1;
    return 0;
}

/* Steps 1-3 of wordpiece.h for one code point: clean, space CJK, NFD
 * (CJK compatibility ideographs decompose to unified ones, e.g. U+F902 to
 * U+8ECA, after the spacing, as in `tokenizers`). */
static int clean_push(const bert_tokenizer *t, int32_t c, cpbuf *out) {
    if (c == 0 || c == 0xFFFD || is_control(c)) return 0;
    if (is_space(c)) return cp_push(out, ' ');
    if (is_cjk(c)) return cp_push(out, ' ') || decompose_push(t, c, out) || cp_push(out, ' ');
    return decompose_push(t, c, out);
}

/* Accent stripping (drop Mn after NFD), then lower-casing, in place. Rust's
 * char::to_lowercase is the full mapping; it differs from utf8proc's
 * simple one only for U+0130 (SpecialCasing: "i" + U+0307), which only
 * reaches this step undecomposed when accents are kept. */
static int strip_lower(const bert_tokenizer *t, cpbuf *b) {
    if (t->strip) {
        if (canonical_order(b->v, b->n)) return -1;
        size_t k = 0;
        for (size_t i = 0; i < b->n; i++)
            if (utf8proc_category(b->v[i]) != UTF8PROC_CATEGORY_MN) b->v[k++] = b->v[i];
        b->n = k;
    }
    if (!t->lower) return 0;
    size_t n = b->n, extra = 0;
    for (size_t i = 0; i < n; i++) extra += b->v[i] == 0x130;
    for (size_t e = 0; e < extra; e++)
        if (cp_push(b, 0)) return -1;
    for (size_t i = n, j = n + extra; i-- > 0;) { /* back to front: the text grows */
        if (b->v[i] == 0x130) {
            b->v[--j] = 0x307;
            b->v[--j] = 'i';
        } else {
            b->v[--j] = utf8proc_tolower(b->v[i]);
        }
    }
    return 0;
}

static vsq_status normalize(const bert_tokenizer *t, const uint8_t *s, size_t n, cpbuf *out) {
    out->n = 0;
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t c;
        i += (size_t)utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &c); /* validated */
        if (clean_push(t, c, out)) return vsq_error(VSQ_ENOMEM, "bert_encode: out of memory");
    }
    if (strip_lower(t, out)) return vsq_error(VSQ_ENOMEM, "bert_encode: out of memory");
    return VSQ_OK;
}

/* ---- pre-tokenization and WordPiece ---- */

typedef struct {
    int32_t *ids;
    int n, cap; /* cap: room left before [SEP] */
} idlist;

static void id_push(idlist *o, int id) {
    if (o->n < o->cap) o->ids[o->n++] = id;
}

/* Greedy longest-match-first pieces of one word (nc code points, UTF-8 in
 * buf with char starts off[0..nc]); a word with an unmatched remainder is
 * one [UNK]. Pieces are bounded by the longest token. */
static void wordpiece(const bert_tokenizer *t, const char *buf, const uint32_t *off, int nc,
                      idlist *o) {
    int pieces[BERT_MAX_WORD_CHARS], np = 0;
    for (int start = 0; start < nc;) {
        int end = nc, id = -1;
        for (; end > start; end--) {
            size_t len = off[end] - off[start];
            if (len <= t->longest && (id = find_piece(t, start > 0, buf + off[start], len)) >= 0)
                break;
        }
        if (id < 0) {
            id_push(o, t->unk);
            return;
        }
        pieces[np++] = id;
        start = end;
    }
    for (int i = 0; i < np; i++) id_push(o, pieces[i]);
}

static void emit_word(const bert_tokenizer *t, const int32_t *w, size_t nc, idlist *o) {
    if (nc == 0) return;
    if (nc > BERT_MAX_WORD_CHARS) {
        id_push(o, t->unk);
        return;
    }
    char buf[4 * BERT_MAX_WORD_CHARS];
    uint32_t off[BERT_MAX_WORD_CHARS + 1];
    uint32_t k = 0;
    for (size_t i = 0; i < nc; i++) {
        off[i] = k;
        k += (uint32_t)utf8proc_encode_char(w[i], (utf8proc_uint8_t *)buf + k);
    }
    off[nc] = k;
    wordpiece(t, buf, off, (int)nc, o);
}

/* Split on whitespace (dropped) and punctuation (one word per character). */
static void pretokenize(const bert_tokenizer *t, const cpbuf *b, idlist *o) {
    if (b->n == 0) return; /* b->v may still be NULL */
    size_t start = 0;
    for (size_t i = 0; i < b->n && o->n < o->cap; i++) {
        int32_t c = b->v[i];
        if (!is_space(c) && !is_punct(c)) continue;
        emit_word(t, b->v + start, i - start, o);
        if (!is_space(c)) emit_word(t, b->v + i, 1, o);
        start = i + 1;
    }
    if (o->n < o->cap) emit_word(t, b->v + start, b->n - start, o);
}

/* The special token starting at s, or -1 (sets *len). */
static int special_at(const bert_tokenizer *t, const char *s, size_t *len) {
    if (*s != '[') return -1;
    for (int i = 0; i < N_SPECIAL; i++) {
        size_t n = strlen(special_names[i]);
        if (t->special_id[i] >= 0 && strncmp(s, special_names[i], n) == 0) {
            *len = n;
            return t->special_id[i];
        }
    }
    return -1;
}

vsq_status bert_encode(const bert_tokenizer *t, const char *text, int max_len, int32_t *ids,
                       int *n_ids) {
    if (!t || !text || !ids || !n_ids) return vsq_error(VSQ_EINVAL, "bert_encode: NULL argument");
    *n_ids = 0;
    if (max_len < 2)
        return vsq_error(VSQ_EINVAL, "bert_encode: max_len %d leaves no room for [CLS] [SEP]",
                         max_len);
    size_t len = strlen(text);
    size_t bad = utf8_invalid_at((const uint8_t *)text, len);
    if (bad < len)
        return vsq_error(VSQ_EINVAL, "text: invalid UTF-8 at byte offset %zu", bad);
    idlist o = {ids, 1, max_len - 1};
    ids[0] = t->cls;
    cpbuf b = {0};
    vsq_status st = VSQ_OK;
    /* segments between special tokens are normalized separately (HF) */
    for (size_t seg = 0; !st && o.n < o.cap;) {
        size_t i = seg, slen = 0;
        int sid = -1;
        while (i < len && (sid = special_at(t, text + i, &slen)) < 0) i++;
        if (!(st = normalize(t, (const uint8_t *)text + seg, i - seg, &b))) pretokenize(t, &b, &o);
        if (sid < 0) break;
        id_push(&o, sid);
        seg = i + slen;
    }
    free(b.v);
    if (st) return st;
    ids[o.n++] = t->sep;
    *n_ids = o.n;
    return VSQ_OK;
}
