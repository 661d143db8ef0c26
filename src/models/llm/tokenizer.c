/* llama2.c tokenizer: a SentencePiece BPE vocabulary exported as
 *   int32 max_token_length, then per token: float score, int32 len, bytes.
 * Ids 0..2 are <unk>, <s> (BOS), </s> (EOS); 3..258 are the byte pieces
 * <0x00>..<0xFF> used when a code point has no token of its own.
 *
 * Encoding follows llama2.c's result exactly: BOS, a " " dummy prefix for
 * non-empty text, one token per UTF-8 code point (or its bytes), then
 * repeatedly merge the adjacent pair whose concatenation is the
 * best-scoring token (ties: leftmost). llama2.c rescans the whole sequence
 * for each merge (quadratic); a heap of candidate pairs gives the same
 * merges in O(n log n), which matters for tokenizing a whole corpus.
 */
#include "models/llm/bpe.h"
#include "models/llm/llm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- loading ---- */

static const llm_tokenizer *sort_ctx;
static int cmp_ids(const void *a, const void *b) {
    return strcmp(sort_ctx->vocab[*(const int *)a], sort_ctx->vocab[*(const int *)b]);
}

static vsq_status read_file(const char *path, unsigned char **buf, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return vsq_error(VSQ_EIO, "%s: cannot open", path);
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    for (size_t got; b && (got = fread(b + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            unsigned char *nb = realloc(b, cap *= 2);
            if (!nb) free(b);
            b = nb;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!b) return vsq_error(VSQ_ENOMEM, "%s: out of memory reading file", path);
    if (err) {
        free(b);
        return vsq_error(VSQ_EIO, "%s: read error", path);
    }
    *buf = b;
    *len = n;
    return VSQ_OK;
}

static vsq_status parse_vocab(llm_tokenizer *t, const unsigned char *b, size_t len,
                              const char *path) {
    size_t off = 0;
    int32_t max_len;
    if (len < 4) return vsq_error(VSQ_EFORMAT, "%s: truncated tokenizer header", path);
    memcpy(&max_len, b, 4);
    off = 4;
    if (max_len <= 0 || max_len > 1024)
        return vsq_error(VSQ_EFORMAT, "%s: bad max_token_length %d", path, max_len);
    t->max_token_length = max_len;
    for (int i = 0; i < t->vocab_size; i++) {
        int32_t n;
        if (len - off < 8)
            return vsq_error(VSQ_EFORMAT, "%s: truncated at token %d of %d", path, i,
                             t->vocab_size);
        memcpy(&t->scores[i], b + off, 4);
        memcpy(&n, b + off + 4, 4);
        off += 8;
        if (n < 0 || n > max_len || (size_t)n > len - off)
            return vsq_error(VSQ_EFORMAT, "%s: token %d has bad length %d", path, i, n);
        t->vocab[i] = malloc((size_t)n + 1);
        if (!t->vocab[i]) return vsq_error(VSQ_ENOMEM, "%s: out of memory", path);
        memcpy(t->vocab[i], b + off, (size_t)n);
        t->vocab[i][n] = '\0';
        off += (size_t)n;
    }
    return VSQ_OK;
}

vsq_status llm_tokenizer_load(const char *path, int vocab_size, llm_tokenizer *t) {
    memset(t, 0, sizeof *t);
    if (vocab_size < 259)
        return vsq_error(VSQ_EINVAL, "%s: vocab size %d has no room for byte tokens", path,
                         vocab_size);
    unsigned char *buf = NULL;
    size_t len = 0;
    vsq_status st = read_file(path, &buf, &len);
    if (st) return st;
    t->vocab_size = vocab_size;
    t->vocab = calloc((size_t)vocab_size, sizeof(char *));
    t->scores = calloc((size_t)vocab_size, sizeof(float));
    t->sorted = malloc((size_t)vocab_size * sizeof(int));
    if (!t->vocab || !t->scores || !t->sorted)
        st = vsq_error(VSQ_ENOMEM, "%s: out of memory", path);
    if (!st) st = parse_vocab(t, buf, len, path);
    free(buf);
    if (st) {
        llm_tokenizer_free(t);
        return st;
    }
    for (int i = 0; i < 256; i++) t->bytes[i * 2] = (unsigned char)i;
    for (int i = 0; i < vocab_size; i++) t->sorted[i] = i;
    sort_ctx = t; /* qsort has no context argument; load is not hot */
    qsort(t->sorted, (size_t)vocab_size, sizeof(int), cmp_ids);
    t->add_bos = 1;
    t->bos_id = t->stop_id = LLM_BOS; /* llama2.c stops at BOS */
    return VSQ_OK;
}

void llm_tokenizer_free(llm_tokenizer *t) {
    bpe_tokenizer_free(t->bpe);
    if (t->vocab)
        for (int i = 0; i < t->vocab_size; i++) free(t->vocab[i]);
    free(t->vocab);
    free(t->scores);
    free(t->sorted);
    memset(t, 0, sizeof *t);
}

/* Token id of string s, or -1. */
static int lookup(const llm_tokenizer *t, const char *s) {
    int lo = 0, hi = t->vocab_size - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(s, t->vocab[t->sorted[mid]]);
        if (c == 0) return t->sorted[mid];
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}

/* ---- merging with a heap of candidate pairs ---- */

typedef struct {
    float score;
    int left, right;       /* node indices */
    int left_id, right_id; /* ids when queued: stale if they changed */
    int merged;
} pair;

/* a before b: higher score, then further left. */
static int better(const pair *a, const pair *b) {
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void heap_push(pair *h, int *n, pair p) {
    int i = (*n)++;
    while (i > 0 && better(&p, &h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = p;
}

static pair heap_pop(pair *h, int *n) {
    pair top = h[0], last = h[--*n];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && better(&h[c + 1], &h[c])) c++;
        if (!better(&h[c], &last)) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = last;
    return top;
}

typedef struct {
    const llm_tokenizer *t;
    int *id, *prev, *next; /* doubly linked list of tokens */
    pair *heap;
    int n_heap;
    char *buf;
} merger;

static void try_pair(merger *m, int l, int r) {
    if (l < 0 || r < 0) return;
    const char *a = m->t->vocab[m->id[l]], *b = m->t->vocab[m->id[r]];
    size_t la = strlen(a), lb = strlen(b);
    if (la + lb > (size_t)m->t->max_token_length) return; /* cannot be a token */
    memcpy(m->buf, a, la);
    memcpy(m->buf + la, b, lb + 1);
    int id = lookup(m->t, m->buf);
    if (id < 0) return;
    pair p = {m->t->scores[id], l, r, m->id[l], m->id[r], id};
    heap_push(m->heap, &m->n_heap, p);
}

static void merge_all(merger *m, int n) {
    for (int i = 0; i + 1 < n; i++) try_pair(m, i, i + 1);
    while (m->n_heap > 0) {
        pair p = heap_pop(m->heap, &m->n_heap);
        if (m->next[p.left] != p.right || m->id[p.left] != p.left_id ||
            m->id[p.right] != p.right_id)
            continue; /* stale: one side was merged since */
        m->id[p.left] = p.merged;
        m->id[p.right] = -1;
        m->next[p.left] = m->next[p.right];
        if (m->next[p.right] >= 0) m->prev[m->next[p.right]] = p.left;
        try_pair(m, m->prev[p.left], p.left);
        try_pair(m, p.left, m->next[p.left]);
    }
}

/* ---- encoding ---- */

/* Split text into code point tokens (byte fallback); returns count. */
static int initial_tokens(const llm_tokenizer *t, const char *text, int *out, char *cp) {
    int n = 0;
    if (text[0]) {
        int sp = lookup(t, " ");
        if (sp >= 0) out[n++] = sp;
    }
    for (const unsigned char *s = (const unsigned char *)text; *s;) {
        size_t k = 1; /* code point = lead byte + up to 3 continuation bytes */
        while (k < 4 && (s[k] & 0xC0) == 0x80) k++;
        memcpy(cp, s, k);
        cp[k] = '\0';
        int id = lookup(t, cp);
        if (id >= 0)
            out[n++] = id;
        else
            for (size_t i = 0; i < k; i++) out[n++] = s[i] + 3;
        s += k;
    }
    return n;
}

/* GGUF byte-level BPE: BOS only where the model asks for one
 * (tokenizer.ggml.add_bos_token), EOS when asked and the model has one. */
static vsq_status encode_bpe(const llm_tokenizer *t, const char *text, int bos, int eos,
                             int *tokens, int *n_tokens) {
    int32_t *ids;
    size_t n;
    vsq_status st = bpe_encode(t->bpe, text, strlen(text), &ids, &n);
    if (st) return st;
    int k = 0;
    if (bos && t->add_bos && t->bos_id >= 0) tokens[k++] = t->bos_id;
    for (size_t i = 0; i < n; i++) tokens[k++] = ids[i];
    if (eos && t->stop_id >= 0) tokens[k++] = t->stop_id;
    free(ids);
    *n_tokens = k;
    return VSQ_OK;
}

vsq_status llm_encode(const llm_tokenizer *t, const char *text, int bos, int eos, int *tokens,
                      int *n_tokens) {
    if (!t || !text || !tokens) return vsq_error(VSQ_EINVAL, "llm_encode: NULL argument");
    if (t->bpe) return encode_bpe(t, text, bos, eos, tokens, n_tokens);
    size_t len = strlen(text);
    if (len > (size_t)(1 << 28)) return vsq_error(VSQ_EINVAL, "llm_encode: text too long");
    int cap = (int)len + 1;
    merger m = {t, NULL, NULL, NULL, NULL, 0, NULL};
    m.id = malloc((size_t)cap * sizeof(int));
    m.prev = malloc((size_t)cap * sizeof(int));
    m.next = malloc((size_t)cap * sizeof(int));
    m.heap = malloc((size_t)cap * 3 * sizeof(pair));
    m.buf = malloc((size_t)t->max_token_length * 2 + 8);
    vsq_status st = VSQ_OK;
    if (!m.id || !m.prev || !m.next || !m.heap || !m.buf) {
        st = vsq_error(VSQ_ENOMEM, "llm_encode: out of memory (%zu bytes of text)", len);
        goto done;
    }
    int n = initial_tokens(t, text, m.id, m.buf);
    for (int i = 0; i < n; i++) {
        m.prev[i] = i - 1;
        m.next[i] = i + 1 < n ? i + 1 : -1;
    }
    merge_all(&m, n);
    int k = 0;
    if (bos) tokens[k++] = LLM_BOS;
    for (int i = n > 0 ? 0 : -1; i >= 0; i = m.next[i]) tokens[k++] = m.id[i];
    if (eos) tokens[k++] = LLM_EOS;
    *n_tokens = k;
done:
    free(m.id);
    free(m.prev);
    free(m.next);
    free(m.heap);
    free(m.buf);
    return st;
}

/* ---- decoding ---- */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

const char *llm_decode(const llm_tokenizer *t, int prev, int token) {
    if (token < 0 || token >= t->vocab_size) return "";
    if (t->bpe) {
        size_t len;
        return bpe_token_bytes(t->bpe, token, &len); /* NUL-terminated */
    }
    const char *piece = t->vocab[token];
    if (prev == LLM_BOS && piece[0] == ' ') piece++; /* SentencePiece strips it */
    if (strlen(piece) == 6 && !strncmp(piece, "<0x", 3) && piece[5] == '>') {
        int hi = hexval(piece[3]), lo = hexval(piece[4]);
        if (hi >= 0 && lo >= 0) return (const char *)&t->bytes[(hi * 16 + lo) * 2];
    }
    return piece;
}

int llm_piece_printable(const char *piece) {
    if (!piece || !piece[0]) return 0;
    if (piece[1] == '\0') {
        unsigned char c = (unsigned char)piece[0];
        return (c >= 0x20 && c < 0x7f) || c == ' ' || (c >= '\t' && c <= '\r') || c >= 0x80;
    }
    return 1;
}

int llm_window_bos(const llm_tokenizer *t) {
    if (!t->bpe) return LLM_BOS;
    return t->add_bos && t->bos_id >= 0 ? t->bos_id : -1;
}

vsq_status llm_open(const char *model_path, const char *tok_path, llm_model *m, llm_tokenizer *t) {
    if (llm_is_gguf(model_path)) return llm_load_gguf(model_path, m, t);
    vsq_status st = llm_load(model_path, m);
    if (st) return st;
    st = llm_tokenizer_load(tok_path, m->cfg.vocab_size, t);
    if (st) llm_free(m);
    return st;
}
