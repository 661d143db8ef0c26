/* tests/gguf_testutil.h - writing small GGUF files byte by byte in tests
 * (layout: include/vsq/gguf.h). */
#ifndef VSQ_GGUF_TESTUTIL_H
#define VSQ_GGUF_TESTUTIL_H

#include <stdint.h>
#include <string.h>

typedef struct {
    uint8_t b[8192];
    size_t n;
} wbuf;

static inline void put(wbuf *w, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) w->b[w->n++] = (uint8_t)(v >> (8 * i));
}
static inline void put_str(wbuf *w, const char *s) {
    put(w, strlen(s), 8);
    memcpy(w->b + w->n, s, strlen(s));
    w->n += strlen(s);
}
static inline void pad_to(wbuf *w, size_t a) {
    while (w->n % a) w->b[w->n++] = 0;
}
/* "GGUF", version, tensor count, key/value count */
static inline void put_header(wbuf *w, uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    memset(w, 0, sizeof *w);
    memcpy(w->b, "GGUF", 4);
    w->n = 4;
    put(w, version, 4);
    put(w, n_tensors, 8);
    put(w, n_kv, 8);
}
static inline void put_kv_str(wbuf *w, const char *key, const char *val) {
    put_str(w, key);
    put(w, 8, 4);
    put_str(w, val);
}
static inline void put_kv_str_array(wbuf *w, const char *key, const char *const *v, int n) {
    put_str(w, key);
    put(w, 9, 4);
    put(w, 8, 4);
    put(w, (uint64_t)n, 8);
    for (int i = 0; i < n; i++) put_str(w, v[i]);
}

#endif
