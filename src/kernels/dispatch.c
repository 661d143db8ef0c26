/* Run-time selection of the kernel table (isa_table.h): the CPU checks of
 * each table, the VSQ_ISA override and vsq_isa_force(). One algorithm;
 * only the table entries differ.
 *
 * At start-up (once, under pthread_once, so kernels called from many
 * threads at once do not race on it) every table this CPU supports is
 * resolved: its NULL entries are filled from the next lower supported
 * table (avx512 -> avxvnni -> avx2 -> ref). The automatic choice is the
 * highest supported ISA, unless VSQ_ISA names another supported one. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa_table.h"

/* Every table, lowest first: the fallback chain, and the order of
 * preference (the last supported one wins). A new ISA: one line here. */
static const vsqk_isa_ops *const vsqk_isa_list[] = {
    &vsqk_isa_ref,
    &vsqk_isa_avx2,
    &vsqk_isa_avxvnni,
    &vsqk_isa_avx512,
};
enum { N_ISA = sizeof vsqk_isa_list / sizeof vsqk_isa_list[0] };

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static vsqk_isa_ops resolved[N_ISA];
static int have[N_ISA];      /* supported by this CPU */
static int lower_of[N_ISA];  /* index of the next lower supported table, -1 below ref */
static vsq_isa best_isa = VSQ_ISA_REF;

static int index_of(int isa) {
    for (int i = 0; i < N_ISA; i++)
        if ((int)vsqk_isa_list[i]->id == isa) return i;
    return -1;
}

/* Fill o's NULL entries from the resolved lower table l. */
static void inherit(vsqk_isa_ops *o, const vsqk_isa_ops *l) {
#define TAKE(f) if (!o->f) o->f = l->f
    TAKE(panel);
    TAKE(qrow);
    TAKE(qact_row);
    TAKE(qpack_row);
    TAKE(vec_dot_q4_1_q8_1);
    TAKE(vec_dot_q8_0_q8_0);
    TAKE(vec_dot_q4_0_q8_0);
    TAKE(gemv_a);
    TAKE(matvec_rows);
    TAKE(peak_fma);
    TAKE(read);
#undef TAKE
    /* kernels that travel with their preparation rules / shape / name */
    if (!o->panel8) o->panel8 = l->panel8, o->panel8_isa = l->panel8_isa;
    if (!o->gemv8) o->gemv8 = l->gemv8, o->gemv8_isa = l->gemv8_isa;
    if (!o->gemm8) o->gemm8 = l->gemm8, o->gemm8_pack = l->gemm8_pack, o->mr = l->mr, o->nr = l->nr;
    if (!o->peak_int8) o->peak_int8 = l->peak_int8, o->peak_int8_what = l->peak_int8_what;
}

static int parse_isa(const char *s) {
    for (int i = 0; i < N_ISA; i++)
        if (!strcmp(s, vsqk_isa_list[i]->name)) return (int)vsqk_isa_list[i]->id;
    return -1;
}

static void init(void) {
    int low = -1;
    for (int i = 0; i < N_ISA; i++) {
        const vsqk_isa_ops *t = vsqk_isa_list[i];
        have[i] = t->supported();
        lower_of[i] = low;
        if (!have[i]) continue;
        resolved[i] = *t;
        if (low >= 0) inherit(&resolved[i], &resolved[low]);
        low = i;
        best_isa = t->id;
    }
    const char *e = getenv("VSQ_ISA");
    if (e && *e) {
        int want = parse_isa(e);
        if (want < 0) {
            char names[128] = "";
            for (int i = 0; i < N_ISA; i++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? "|" : "",
                         vsqk_isa_list[i]->name);
            fprintf(stderr, "vsq: VSQ_ISA=%s unknown (%s); using %s\n", e, names,
                    vsq_isa_name(best_isa));
        } else if (!have[index_of(want)]) {
            fprintf(stderr, "vsq: VSQ_ISA=%s not supported by this CPU; using %s\n", e,
                    vsq_isa_name(best_isa));
        } else {
            best_isa = (vsq_isa)want;
        }
    }
}

const char *vsq_isa_name(vsq_isa isa) {
    int i = index_of((int)isa);
    return i >= 0 ? vsqk_isa_list[i]->name : "?";
}

int vsq_isa_available(vsq_isa isa) {
    pthread_once(&init_once, init);
    int i = index_of((int)isa);
    return i >= 0 && have[i];
}

/* Set by vsq_isa_force, read by every kernel call on any thread. */
static atomic_int forced = -1;

vsq_isa vsq_isa_active(void) {
    pthread_once(&init_once, init);
    int f = atomic_load_explicit(&forced, memory_order_relaxed);
    return f >= 0 ? (vsq_isa)f : best_isa;
}

vsq_status vsq_isa_force(int isa) {
    if (isa < 0) {
        atomic_store(&forced, -1);
        return VSQ_OK;
    }
    if (!vsq_isa_available((vsq_isa)isa))
        return vsq_error(VSQ_EUNSUPPORTED, "isa %d (%s) is not available on this CPU", isa,
                         vsq_isa_name((vsq_isa)isa));
    atomic_store(&forced, isa);
    return VSQ_OK;
}

const vsqk_isa_ops *vsqk_ops_for(vsq_isa isa) {
    pthread_once(&init_once, init);
    int i = index_of((int)isa);
    return i >= 0 && have[i] ? &resolved[i] : NULL;
}

const vsqk_isa_ops *vsqk_ops(void) { return vsqk_ops_for(vsq_isa_active()); }

const vsqk_isa_ops *vsqk_ops_lower(const vsqk_isa_ops *o) {
    int i = index_of((int)o->id);
    return i >= 0 && lower_of[i] >= 0 ? &resolved[lower_of[i]] : NULL;
}

/* The names of the available ISAs, lowest first, separated by `sep`. */
size_t vsq_isa_list_available(char *buf, size_t cap, const char *sep) {
    pthread_once(&init_once, init);
    size_t len = 0;
    if (cap) buf[0] = 0;
    for (int i = 0; i < N_ISA; i++) {
        if (!have[i]) continue;
        int n = snprintf(len < cap ? buf + len : NULL, len < cap ? cap - len : 0, "%s%s",
                         len ? sep : "", vsqk_isa_list[i]->name);
        if (n > 0) len += (size_t)n;
    }
    return len;
}
