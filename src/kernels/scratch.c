/* Per-thread scratch buffers for the kernels' small per-call work areas
 * (activation layouts of a GEMV, row work buffers): an LLM decode step
 * makes hundreds of kernel calls on small matrices, where malloc/free per
 * call costs more than the arithmetic. Each thread keeps one buffer per
 * slot, grown on demand and kept up to VSQK_TLS_MAX bytes (larger
 * requests return NULL: the caller allocates, as they are rare and long). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "kernels_internal.h"

#define VSQK_TLS_MAX ((size_t)1 << 20)

typedef struct {
    void *p;
    size_t cap;
} tls_slot;

static _Thread_local tls_slot tls[VSQK_TLS_SLOTS];

/* Bytes held in all threads' buffers (tests check they are returned). */
static atomic_size_t live_bytes;

/* A thread's buffers are freed when it exits: a pthread key whose
 * destructor runs at thread exit, registered by the first allocation of
 * each thread (the key itself is created once, under pthread_once). The
 * main thread's buffers are freed by vsqk_tls_release or stay reachable. */
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static int key_ok;

static void release_slots(void *slots) {
    tls_slot *t = slots;
    for (int i = 0; i < VSQK_TLS_SLOTS; i++) {
        atomic_fetch_sub(&live_bytes, t[i].cap);
        free(t[i].p);
        t[i].p = NULL;
        t[i].cap = 0;
    }
}

static void make_key(void) { key_ok = pthread_key_create(&key, release_slots) == 0; }

void vsqk_tls_release(void) {
    release_slots(tls);
    pthread_once(&key_once, make_key);
    if (key_ok) pthread_setspecific(key, NULL);
}

/* At process exit (or dlclose), the exiting thread's buffers, normally the
 * main thread's: clean under LeakSanitizer and valgrind. */
__attribute__((destructor)) static void release_at_exit(void) { release_slots(tls); }

size_t vsqk_tls_live_bytes(void) { return atomic_load(&live_bytes); }

void *vsqk_tls_buffer(int slot, size_t bytes) {
    if (slot < 0 || slot >= VSQK_TLS_SLOTS || bytes > VSQK_TLS_MAX) return NULL;
    if (tls[slot].cap < bytes) {
        pthread_once(&key_once, make_key);
        if (!key_ok || (!pthread_getspecific(key) && pthread_setspecific(key, tls) != 0))
            return NULL; /* no exit hook: the caller allocates instead */
        size_t cap = (bytes + 4095) / 4096 * 4096;
        void *p = aligned_alloc(64, cap);
        if (!p) return NULL;
        atomic_fetch_sub(&live_bytes, tls[slot].cap);
        free(tls[slot].p);
        tls[slot].p = p;
        tls[slot].cap = cap;
        atomic_fetch_add(&live_bytes, cap);
    }
    return tls[slot].p;
}
