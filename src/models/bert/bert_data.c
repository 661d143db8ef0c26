/* Sentences for the encoder: pre-tokenized id files (one sentence a line
 * of space-separated ids, e.g. the Hugging Face tokenizer's reference
 * output) and the labelled sentence-polarity set with its split. */
#include "models/bert/bert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whole file into memory, NUL-terminated. */
static vsq_status read_text(const char *path, char **out, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return vsq_error(VSQ_EIO, "%s: cannot open (%s)", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (!b) break;
        if (n + 1 >= cap) {
            char *nb = cap < ((size_t)1 << 40) ? realloc(b, cap * 2) : NULL;
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb, cap *= 2;
        }
        size_t k = fread(b + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (!b) return vsq_error(VSQ_ENOMEM, "%s: out of memory", path);
    if (err) {
        free(b);
        return vsq_error(VSQ_EIO, "%s: read error", path);
    }
    b[n] = '\0';
    *out = b;
    *len = n;
    return VSQ_OK;
}

/* Split text into lines in place (a final line without '\n' counts; a
 * trailing '\r' is dropped). Returns the count; *lines is malloc'ed. */
static int split_lines(char *text, size_t len, char ***lines) {
    int n = 0;
    for (size_t i = 0; i < len; i++) n += text[i] == '\n';
    if (len && text[len - 1] != '\n') n++;
    *lines = malloc(((size_t)n + 1) * sizeof(char *));
    if (!*lines) return -1;
    int k = 0;
    for (char *p = text; k < n; k++) {
        (*lines)[k] = p;
        char *e = strchr(p, '\n');
        if (e) *e = '\0';
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r') p[l - 1] = '\0';
        p = e ? e + 1 : p + l;
    }
    return n;
}

vsq_status bert_read_lines(const char *path, char **buf, char ***lines, int *n) {
    size_t len;
    vsq_status st = read_text(path, buf, &len);
    if (st) return st;
    *n = split_lines(*buf, len, lines);
    if (*n < 0) {
        free(*buf);
        return vsq_error(VSQ_ENOMEM, "%s: out of memory", path);
    }
    return VSQ_OK;
}

vsq_status bert_ids_alloc(int n, bert_ids *out) {
    memset(out, 0, sizeof *out);
    out->ids = calloc(n > 0 ? (size_t)n : 1, sizeof *out->ids);
    out->len = calloc(n > 0 ? (size_t)n : 1, sizeof *out->len);
    if (!out->ids || !out->len) {
        bert_ids_free(out);
        return vsq_error(VSQ_ENOMEM, "bert: out of memory for %d sentences", n);
    }
    out->n = n;
    return VSQ_OK;
}

void bert_ids_free(bert_ids *s) {
    for (int i = 0; s->ids && i < s->n; i++) free(s->ids[i]);
    free(s->ids);
    free(s->len);
    memset(s, 0, sizeof *s);
}

/* Parse one line of ids; keep the last id when truncating (it is [SEP]). */
static vsq_status parse_ids(const char *path, int line, char *p, int max_len, int vocab,
                            int32_t **ids, int *len) {
    int cap = 16, n = 0;
    int32_t *v = malloc((size_t)cap * sizeof *v);
    while (v) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        char *end;
        errno = 0;
        long x = strtol(p, &end, 10);
        if (end == p || errno || x < 0 || x >= vocab || (*end && *end != ' ' && *end != '\t')) {
            free(v);
            return vsq_error(VSQ_EFORMAT, "%s:%d: '%.20s' is not a token id in [0, %d)", path, line,
                             p, vocab);
        }
        if (n == cap) {
            int32_t *nv = cap < (1 << 24) ? realloc(v, (size_t)cap * 2 * sizeof *v) : NULL;
            if (!nv) free(v);
            v = nv, cap *= 2;
            if (!v) break;
        }
        v[n++] = (int32_t)x;
        p = end;
    }
    if (!v) return vsq_error(VSQ_ENOMEM, "%s:%d: out of memory", path, line);
    if (n == 0) {
        free(v);
        return vsq_error(VSQ_EFORMAT, "%s:%d: empty line (every sentence has at least [CLS] [SEP])",
                         path, line);
    }
    if (n > max_len) {
        v[max_len - 1] = v[n - 1];
        n = max_len;
    }
    *ids = v;
    *len = n;
    return VSQ_OK;
}

vsq_status bert_ids_load(const char *path, int max_len, int vocab, bert_ids *out) {
    char *text, **lines;
    size_t len;
    memset(out, 0, sizeof *out);
    if (max_len < 2) return vsq_error(VSQ_EINVAL, "bert: max_len %d < 2", max_len);
    vsq_status st = read_text(path, &text, &len);
    if (st) return st;
    int n = split_lines(text, len, &lines);
    st = n < 0 ? vsq_error(VSQ_ENOMEM, "%s: out of memory", path) : bert_ids_alloc(n, out);
    for (int i = 0; !st && i < n; i++)
        st = parse_ids(path, i + 1, lines[i], max_len, vocab, &out->ids[i], &out->len[i]);
    if (st) bert_ids_free(out);
    free(lines);
    free(text);
    return st;
}

vsq_status bert_ids_subset(const bert_ids *s, const int *idx, int k, bert_ids *out) {
    vsq_status st = bert_ids_alloc(k, out);
    for (int i = 0; !st && i < k; i++) {
        if (idx[i] < 0 || idx[i] >= s->n) {
            st = vsq_error(VSQ_EINVAL, "bert: sentence index %d outside 0..%d", idx[i], s->n - 1);
            break;
        }
        out->len[i] = s->len[idx[i]];
        out->ids[i] = malloc((size_t)out->len[i] * sizeof(int32_t));
        if (!out->ids[i]) st = vsq_error(VSQ_ENOMEM, "bert: out of memory");
        else memcpy(out->ids[i], s->ids[idx[i]], (size_t)out->len[i] * sizeof(int32_t));
    }
    if (st) bert_ids_free(out);
    return st;
}

/* ---- the labelled data set ---- */

void bert_dataset_free(bert_dataset *d) {
    for (int i = 0; d->text && i < d->n; i++) free(d->text[i]);
    free(d->text), free(d->label), free(d->is_test);
    memset(d, 0, sizeof *d);
}

static vsq_status parse_sentence(const char *path, int line, const char *s, int *label, char **text) {
    if ((s[0] != '0' && s[0] != '1') || s[1] != '\t')
        return vsq_error(VSQ_EFORMAT, "%s:%d: expected LABEL<TAB>TEXT with LABEL 0 or 1", path, line);
    *label = s[0] - '0';
    *text = strdup(s + 2);
    return *text ? VSQ_OK : vsq_error(VSQ_ENOMEM, "%s: out of memory", path);
}

static vsq_status parse_split(const char *path, int line, const char *s, int *is_test) {
    if (!strcmp(s, "train")) *is_test = 0;
    else if (!strcmp(s, "test")) *is_test = 1;
    else return vsq_error(VSQ_EFORMAT, "%s:%d: '%.20s' is neither train nor test", path, line, s);
    return VSQ_OK;
}

vsq_status bert_dataset_load(const char *dir, bert_dataset *d) {
    char path[4096], split_path[4096], *t1 = NULL, *t2 = NULL, **l1 = NULL, **l2 = NULL;
    size_t n1, n2;
    memset(d, 0, sizeof *d);
    snprintf(path, sizeof path, "%s/sentences.tsv", dir);
    snprintf(split_path, sizeof split_path, "%s/split.txt", dir);
    vsq_status st = read_text(path, &t1, &n1);
    if (!st) st = read_text(split_path, &t2, &n2);
    int a = st ? 0 : split_lines(t1, n1, &l1), b = st ? 0 : split_lines(t2, n2, &l2);
    if (!st && (a < 0 || b < 0)) st = vsq_error(VSQ_ENOMEM, "%s: out of memory", path);
    if (!st && a != b)
        st = vsq_error(VSQ_EFORMAT, "%s has %d lines but %s has %d", path, a, split_path, b);
    if (!st) {
        d->n = a;
        d->label = calloc((size_t)a + 1, sizeof(int));
        d->is_test = calloc((size_t)a + 1, sizeof(int));
        d->text = calloc((size_t)a + 1, sizeof(char *));
        if (!d->label || !d->is_test || !d->text) st = vsq_error(VSQ_ENOMEM, "%s: out of memory", path);
    }
    for (int i = 0; !st && i < a; i++) {
        st = parse_sentence(path, i + 1, l1[i], &d->label[i], &d->text[i]);
        if (!st) st = parse_split(split_path, i + 1, l2[i], &d->is_test[i]);
    }
    free(l1), free(l2), free(t1), free(t2);
    if (st) bert_dataset_free(d);
    return st;
}
