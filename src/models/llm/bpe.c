/* Byte-level BPE tokenizer from GGUF metadata (see bpe.h for the rules). */
#include "models/llm/bpe.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- string -> int hash map (open addressing, FNV-1a) ---- */

typedef struct {
    const char *key; /* into the tokenizer's arena */
    uint32_t len;
    int32_t val;
} slot;

typedef struct {
    slot *s;
    size_t cap; /* power of two */
} strmap;

static uint64_t fnv1a(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
    return h;
}

static int map_init(strmap *m, size_t n) {
    m->cap = 16;
    while (m->cap < 2 * n + 1) m->cap <<= 1;
    m->s = calloc(m->cap, sizeof *m->s);
    return m->s != NULL;
}

/* Insert unless present (the first occurrence keeps its value). */
static void map_put(strmap *m, const char *k, size_t n, int32_t v) {
    for (size_t i = fnv1a(k, n) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        slot *s = &m->s[i];
        if (!s->key) {
            *s = (slot){k, (uint32_t)n, v};
            return;
        }
        if (s->len == n && memcmp(s->key, k, n) == 0) return;
    }
}

static int32_t map_get(const strmap *m, const char *k, size_t n) {
    for (size_t i = fnv1a(k, n) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        const slot *s = &m->s[i];
        if (!s->key) return -1;
        if (s->len == n && memcmp(s->key, k, n) == 0) return s->val;
    }
}

/* ---- the tokenizer ---- */

typedef enum { PRE_GPT2, PRE_DIGITS_GPT2 } pre_kind;

struct bpe_tokenizer {
    int n_vocab;
    char *arena; /* vocab strings, then merge strings, then decoded bytes */
    const char **tok;   /* token string (byte-to-unicode alphabet) */
    uint32_t *tok_len;
    const char **dec;   /* decoded bytes */
    uint32_t *dec_len;
    strmap vocab, merges;
    char byte_utf8[256][3]; /* mapped code point of each byte, UTF-8, NUL-padded */
    int16_t unbyte[512];     /* code point < 512 -> byte, or -1 */
    pre_kind pre;
    int32_t bos, eos;
};

/* GPT-2's reversible byte -> code point map: printable Latin-1 bytes map to
 * themselves, the other 68 bytes to 256, 257, ... in byte order. */
static void build_byte_map(bpe_tokenizer *t) {
    int next = 256;
    for (int i = 0; i < 512; i++) t->unbyte[i] = -1;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
        int cp = printable ? b : next++;
        utf8proc_uint8_t buf[4] = {0};
        utf8proc_encode_char(cp, buf);
        memcpy(t->byte_utf8[b], buf, 3);
        t->unbyte[cp] = (int16_t)b;
    }
}

static vsq_status array_strings(const vsq_gguf *g, const char *key, const char ***p,
                                uint64_t **l, uint64_t *n) {
    const vsq_gguf_kv *kv = vsq_gguf_find_kv(g, key);
    if (!kv) return vsq_error(VSQ_EFORMAT, "%s: key \"%s\" missing", g->path, key);
    if (kv->type != VSQ_GGUF_ARRAY || kv->arr_type != VSQ_GGUF_STRING || kv->arr_n == 0 ||
        kv->arr_n > (1u << 24))
        return vsq_error(VSQ_EFORMAT, "%s: key \"%s\" is not a non-empty string array", g->path,
                         key);
    *n = kv->arr_n;
    *p = malloc(*n * sizeof **p);
    *l = malloc(*n * sizeof **l);
    if (!*p || !*l) return vsq_error(VSQ_ENOMEM, "%s: out of memory", g->path);
    return vsq_gguf_array_strings(g, kv, *p, *l);
}

static vsq_status read_kind(const vsq_gguf *g, bpe_tokenizer *t) {
    char *model = NULL, *pre = NULL;
    vsq_status s = vsq_gguf_get_string(g, "tokenizer.ggml.model", &model);
    if (!s && strcmp(model, "gpt2") != 0)
        s = vsq_error(VSQ_EUNSUPPORTED, "%s: tokenizer.ggml.model \"%s\" (only \"gpt2\" byte-level BPE)",
                      g->path, model);
    if (!s && vsq_gguf_find_kv(g, "tokenizer.ggml.pre")) s = vsq_gguf_get_string(g, "tokenizer.ggml.pre", &pre);
    if (!s) {
        if (!pre || strcmp(pre, "gpt2") == 0 || strcmp(pre, "default") == 0)
            t->pre = PRE_GPT2;
        else if (strcmp(pre, "smollm") == 0 || strcmp(pre, "starcoder") == 0 ||
                 strcmp(pre, "refact") == 0)
            t->pre = PRE_DIGITS_GPT2;
        else
            s = vsq_error(VSQ_EUNSUPPORTED, "%s: tokenizer.ggml.pre \"%s\" not supported (gpt2, smollm, starcoder, refact)",
                          g->path, pre);
    }
    free(model);
    free(pre);
    int64_t v;
    t->bos = t->eos = -1;
    if (!s && vsq_gguf_find_kv(g, "tokenizer.ggml.bos_token_id") &&
        !(s = vsq_gguf_get_int(g, "tokenizer.ggml.bos_token_id", &v)))
        t->bos = (int32_t)v;
    if (!s && vsq_gguf_find_kv(g, "tokenizer.ggml.eos_token_id") &&
        !(s = vsq_gguf_get_int(g, "tokenizer.ggml.eos_token_id", &v)))
        t->eos = (int32_t)v;
    return s;
}

/* Decoded bytes of a token: each code point through the inverse byte map
 * (code points outside it are kept as their UTF-8). */
static size_t decode_token(const bpe_tokenizer *t, const char *s, size_t n, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0) {
            out[o++] = s[i++];
            continue;
        }
        if (cp >= 0 && cp < 512 && t->unbyte[cp] >= 0) out[o++] = (char)t->unbyte[cp];
        else {
            memcpy(out + o, s + i, (size_t)k);
            o += (size_t)k;
        }
        i += (size_t)k;
    }
    return o;
}

static vsq_status build_tables(const vsq_gguf *g, bpe_tokenizer *t, const char **tp,
                               const uint64_t *tl, uint64_t nt, const char **mp,
                               const uint64_t *ml, uint64_t nm) {
    size_t bytes = 0;
    for (uint64_t i = 0; i < nt; i++) bytes += 2 * tl[i] + 1;
    for (uint64_t i = 0; i < nm; i++) bytes += ml[i];
    t->n_vocab = (int)nt;
    t->arena = malloc(bytes + 1);
    t->tok = malloc(nt * sizeof *t->tok);
    t->tok_len = malloc(nt * sizeof *t->tok_len);
    t->dec = malloc(nt * sizeof *t->dec);
    t->dec_len = malloc(nt * sizeof *t->dec_len);
    if (!t->arena || !t->tok || !t->tok_len || !t->dec || !t->dec_len ||
        !map_init(&t->vocab, nt) || !map_init(&t->merges, nm))
        return vsq_error(VSQ_ENOMEM, "%s: out of memory for the tokenizer", g->path);
    char *a = t->arena;
    for (uint64_t i = 0; i < nt; i++) {
        memcpy(a, tp[i], tl[i]);
        t->tok[i] = a;
        t->tok_len[i] = (uint32_t)tl[i];
        map_put(&t->vocab, a, tl[i], (int32_t)i);
        a += tl[i];
    }
    for (uint64_t i = 0; i < nm; i++) {
        memcpy(a, mp[i], ml[i]);
        map_put(&t->merges, a, ml[i], (int32_t)i);
        a += ml[i];
    }
    for (uint64_t i = 0; i < nt; i++) {
        t->dec[i] = a;
        t->dec_len[i] = (uint32_t)decode_token(t, t->tok[i], t->tok_len[i], a);
        a += t->dec_len[i];
        *a++ = '\0'; /* decoded pieces are also C strings */
    }
    return VSQ_OK;
}

vsq_status bpe_tokenizer_from_gguf(const vsq_gguf *g, bpe_tokenizer **out) {
    *out = NULL;
    bpe_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return vsq_error(VSQ_ENOMEM, "out of memory");
    build_byte_map(t);
    const char **tp = NULL, **mp = NULL;
    uint64_t *tl = NULL, *ml = NULL, nt = 0, nm = 0;
    vsq_status s = read_kind(g, t);
    if (!s) s = array_strings(g, "tokenizer.ggml.tokens", &tp, &tl, &nt);
    if (!s) s = array_strings(g, "tokenizer.ggml.merges", &mp, &ml, &nm);
    if (!s) s = build_tables(g, t, tp, tl, nt, mp, ml, nm);
    free(tp);
    free(tl);
    free(mp);
    free(ml);
    if (s) bpe_tokenizer_free(t);
    else *out = t;
    return s;
}

void bpe_tokenizer_free(bpe_tokenizer *t) {
    if (!t) return;
    free(t->arena);
    free(t->tok);
    free(t->tok_len);
    free(t->dec);
    free(t->dec_len);
    free(t->vocab.s);
    free(t->merges.s);
    free(t);
}

int bpe_vocab_size(const bpe_tokenizer *t) { return t->n_vocab; }
int32_t bpe_bos(const bpe_tokenizer *t) { return t->bos; }
int32_t bpe_eos(const bpe_tokenizer *t) { return t->eos; }

const char *bpe_token_bytes(const bpe_tokenizer *t, int32_t id, size_t *len) {
    if (id < 0 || id >= t->n_vocab) return NULL;
    *len = t->dec_len[id];
    return t->dec[id];
}

/* ---- pre-tokenization ---- */

static int is_letter(int32_t c) {
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}
static int is_number(int32_t c) {
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO;
}
/* Unicode White_Space: Zs, Zl, Zp, TAB..CR, NEL. */
static int is_space(int32_t c) {
    if ((c >= 9 && c <= 13) || c == 0x85) return 1;
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL || k == UTF8PROC_CATEGORY_ZP;
}

/* Length of the GPT-2 pattern's match at cp[i] (i < e). */
static size_t gpt2_match(const int32_t *cp, size_t i, size_t e) {
    int32_t c = cp[i];
    if (c == '\'' && i + 1 < e) {
        int32_t n = cp[i + 1];
        if (n == 's' || n == 't' || n == 'm' || n == 'd') return 2;
        if (i + 2 < e && ((n == 'r' && cp[i + 2] == 'e') || (n == 'v' && cp[i + 2] == 'e') ||
                          (n == 'l' && cp[i + 2] == 'l')))
            return 3;
    }
    size_t k = (c == ' ' && i + 1 < e) ? i + 1 : i;
    if (is_letter(cp[k])) {
        while (k < e && is_letter(cp[k])) k++;
        return k - i;
    }
    if (is_number(cp[k])) {
        while (k < e && is_number(cp[k])) k++;
        return k - i;
    }
    if (!is_space(cp[k])) {
        while (k < e && !is_space(cp[k]) && !is_letter(cp[k]) && !is_number(cp[k])) k++;
        return k - i;
    }
    /* \s+(?!\S): the whitespace run, less its last character when a
     * non-space follows (that one then leads the next piece); \s+ otherwise */
    size_t j = i;
    while (j < e && is_space(cp[j])) j++;
    if (j < e && j - i > 1) return j - i - 1;
    return j - i;
}

/* ---- BPE merging of one piece ---- */

typedef struct {
    int32_t *ids;
    size_t n, cap;
} idbuf;

static int push(idbuf *b, int32_t id) {
    if (b->n == b->cap) {
        size_t c = b->cap ? 2 * b->cap : 256;
        int32_t *p = realloc(b->ids, c * sizeof *p);
        if (!p) return 0;
        b->ids = p;
        b->cap = c;
    }
    b->ids[b->n++] = id;
    return 1;
}

/* Rank of merging symbols a and b, or -1. */
static int32_t pair_rank(const bpe_tokenizer *t, const char *m, size_t ao, size_t al,
                         size_t bl, char *scratch) {
    memcpy(scratch, m + ao, al);
    scratch[al] = ' ';
    memcpy(scratch + al + 1, m + ao + al, bl);
    return map_get(&t->merges, scratch, al + 1 + bl);
}

/* Merge the mapped string m (n bytes; symbols start as its code points)
 * and append the token ids. sym holds offsets, len lengths. */
static vsq_status merge_piece(const bpe_tokenizer *t, const char *m, size_t n, size_t *off,
                              size_t *len, char *scratch, idbuf *out) {
    size_t ns = 0;
    for (size_t i = 0; i < n;) {
        size_t k = 1;
        while (i + k < n && ((uint8_t)m[i + k] & 0xC0) == 0x80) k++;
        off[ns] = i;
        len[ns++] = k;
        i += k;
    }
    for (;;) {
        int32_t best = -1;
        size_t at = 0;
        for (size_t s = 0; s + 1 < ns; s++) {
            int32_t r = pair_rank(t, m, off[s], len[s], len[s + 1], scratch);
            if (r >= 0 && (best < 0 || r < best)) {
                best = r;
                at = s;
            }
        }
        if (best < 0) break;
        len[at] += len[at + 1];
        memmove(off + at + 1, off + at + 2, (ns - at - 2) * sizeof *off);
        memmove(len + at + 1, len + at + 2, (ns - at - 2) * sizeof *len);
        ns--;
    }
    for (size_t s = 0; s < ns; s++) {
        int32_t id = map_get(&t->vocab, m + off[s], len[s]);
        if (id < 0)
            return vsq_error(VSQ_EFORMAT, "tokenizer: symbol of %zu bytes has no token in the vocabulary",
                             len[s]);
        if (!push(out, id)) return vsq_error(VSQ_ENOMEM, "tokenizer: out of memory");
    }
    return VSQ_OK;
}

/* One pre-token (code points [a, b) at byte offsets boff) -> ids. */
static vsq_status encode_piece(const bpe_tokenizer *t, const char *text, const size_t *boff,
                               size_t a, size_t b, idbuf *out) {
    size_t nbytes = boff[b] - boff[a];
    char *m = malloc(2 * nbytes + 1);
    char *scratch = malloc(4 * nbytes + 2);
    size_t *off = malloc((2 * nbytes + 1) * sizeof *off);
    size_t *len = malloc((2 * nbytes + 1) * sizeof *len);
    vsq_status s = VSQ_OK;
    if (!m || !scratch || !off || !len) s = vsq_error(VSQ_ENOMEM, "tokenizer: out of memory");
    size_t n = 0;
    for (size_t i = boff[a]; !s && i < boff[b]; i++) {
        const char *u = t->byte_utf8[(uint8_t)text[i]];
        size_t k = u[1] ? 2 : 1; /* mapped code points are < 0x800 */
        memcpy(m + n, u, k);
        n += k;
    }
    if (!s) s = merge_piece(t, m, n, off, len, scratch, out);
    free(m);
    free(scratch);
    free(off);
    free(len);
    return s;
}

/* Split [a, b) by the GPT-2 pattern and encode each match. */
static vsq_status encode_gpt2(const bpe_tokenizer *t, const char *text, const int32_t *cp,
                              const size_t *boff, size_t a, size_t b, idbuf *out) {
    for (size_t i = a; i < b;) {
        size_t k = gpt2_match(cp, i, b);
        vsq_status s = encode_piece(t, text, boff, i, i + k, out);
        if (s) return s;
        i += k;
    }
    return VSQ_OK;
}

static vsq_status decode_utf8(const char *text, size_t len, int32_t **cp, size_t **boff,
                              size_t *n) {
    *cp = malloc((len + 1) * sizeof **cp);
    *boff = malloc((len + 1) * sizeof **boff);
    if (!*cp || !*boff) return vsq_error(VSQ_ENOMEM, "tokenizer: out of memory");
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t m = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                              (utf8proc_ssize_t)(len - i), &c);
        if (m <= 0) return vsq_error(VSQ_EINVAL, "tokenizer: invalid UTF-8 at byte %zu", i);
        (*cp)[k] = c;
        (*boff)[k++] = i;
        i += (size_t)m;
    }
    (*boff)[k] = len;
    *n = k;
    return VSQ_OK;
}

vsq_status bpe_encode(const bpe_tokenizer *t, const char *text, size_t len, int32_t **ids,
                      size_t *n_ids) {
    *ids = NULL;
    *n_ids = 0;
    int32_t *cp = NULL;
    size_t *boff = NULL, n = 0;
    idbuf out = {0};
    vsq_status s = decode_utf8(text, len, &cp, &boff, &n);
    for (size_t i = 0; !s && i < n;) {
        size_t j = i;
        if (t->pre == PRE_DIGITS_GPT2 && is_number(cp[i])) j = i + 1; /* a digit alone */
        else
            while (j < n && !(t->pre == PRE_DIGITS_GPT2 && is_number(cp[j]))) j++;
        s = t->pre == PRE_DIGITS_GPT2 && is_number(cp[i])
                ? encode_piece(t, text, boff, i, j, &out)
                : encode_gpt2(t, text, cp, boff, i, j, &out);
        i = j;
    }
    free(cp);
    free(boff);
    if (s) {
        free(out.ids);
        return s;
    }
    *ids = out.ids;
    *n_ids = out.n;
    return VSQ_OK;
}
