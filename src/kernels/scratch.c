/* Per-thread scratch buffers for the kernels' small per-call work areas
 * (activation layouts of a GEMV, row work buffers): an LLM decode step
 * makes hundreds of kernel calls on small matrices, where malloc/free per
 * call costs more than the arithmetic. Each thread keeps one buffer per
 * slot, grown on demand and kept up to VSQK_TLS_MAX bytes (larger
 * requests return NULL: the caller allocates, as they are rare and long). */
#include <stdlib.h>

#include "kernels_internal.h"

#define VSQK_TLS_MAX ((size_t)1 << 20)

static _Thread_local struct {
    void *p;
    size_t cap;
} tls[VSQK_TLS_SLOTS];

void *vsqk_tls_buffer(int slot, size_t bytes) {
    if (slot < 0 || slot >= VSQK_TLS_SLOTS || bytes > VSQK_TLS_MAX) return NULL;
    if (tls[slot].cap < bytes) {
        size_t cap = (bytes + 4095) / 4096 * 4096;
        void *p = aligned_alloc(64, cap);
        if (!p) return NULL;
        free(tls[slot].p);
        tls[slot].p = p;
        tls[slot].cap = cap;
    }
    return tls[slot].p;
}
