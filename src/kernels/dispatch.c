/* Run-time selection of the micro-kernels: CPUID (+ XGETBV for the OS
 * saving the vector state), overridable by VSQ_ISA=ref|avx2|avx512 or
 * vsq_isa_force(). One algorithm; only the micro-kernels differ. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
static unsigned long long xgetbv0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}
static int cpu_has(vsq_isa isa) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, f16c = (c >> 29) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return 0;
    unsigned long long xcr0 = xgetbv0();
    if ((xcr0 & 6) != 6) return 0; /* XMM + YMM state */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int avx2 = (b >> 5) & 1, bmi2 = (b >> 8) & 1;
    if (isa == VSQ_ISA_AVX2) return avx2 && fma && f16c && bmi2;
    if (isa == VSQ_ISA_AVX512) {
        int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
        int vnni = (c >> 11) & 1;
        return avx2 && fma && f16c && bmi2 && f && dq && bw && vl && vnni && (xcr0 & 0xe6) == 0xe6;
    }
    return 1;
}
#else
static int cpu_has(vsq_isa isa) { return isa == VSQ_ISA_REF; }
#endif

const char *vsq_isa_name(vsq_isa isa) {
    switch (isa) {
    case VSQ_ISA_REF: return "ref";
    case VSQ_ISA_AVX2: return "avx2";
    case VSQ_ISA_AVX512: return "avx512";
    }
    return "?";
}

/* avx512 (F/BW/VL/DQ + VNNI) is reported available only where the CPU has
 * it; it runs the VNNI int8 kernels (vnni_avx512.c) where they apply
 * (two-level, u8 scales, int8-range activations) and the AVX2 kernels for
 * everything else. */
int vsq_isa_available(vsq_isa isa) {
    if (isa == VSQ_ISA_REF) return 1;
    if (isa == VSQ_ISA_AVX2 || isa == VSQ_ISA_AVX512) return cpu_has(isa);
    return 0;
}

/* Set by vsq_isa_force, read by every kernel call on any thread. */
static atomic_int forced = -1;

/* The automatic choice, made once per process (CPUID + VSQ_ISA, with its
 * warning printed once) under pthread_once: kernels called from many
 * threads at start-up do not race on it. */
static pthread_once_t best_once = PTHREAD_ONCE_INIT;
static vsq_isa best_isa = VSQ_ISA_REF;

static void choose_best(void) {
    vsq_isa best = vsq_isa_available(VSQ_ISA_AVX512) ? VSQ_ISA_AVX512
                   : vsq_isa_available(VSQ_ISA_AVX2) ? VSQ_ISA_AVX2
                                                     : VSQ_ISA_REF;
    const char *e = getenv("VSQ_ISA");
    if (e && *e) {
        int want = !strcmp(e, "ref") ? 0 : !strcmp(e, "avx2") ? 1 : !strcmp(e, "avx512") ? 2 : -1;
        if (want < 0)
            fprintf(stderr, "vsq: VSQ_ISA=%s unknown (ref|avx2|avx512); using %s\n", e,
                    vsq_isa_name(best));
        else if (!vsq_isa_available((vsq_isa)want))
            fprintf(stderr, "vsq: VSQ_ISA=%s not supported by this CPU; using %s\n", e,
                    vsq_isa_name(best));
        else
            best = (vsq_isa)want;
    }
    best_isa = best;
}

static vsq_isa env_or_best(void) {
    pthread_once(&best_once, choose_best);
    return best_isa;
}

vsq_isa vsq_isa_active(void) {
    int f = atomic_load_explicit(&forced, memory_order_relaxed);
    return f >= 0 ? (vsq_isa)f : env_or_best();
}

vsq_status vsq_isa_force(int isa) {
    if (isa < 0) {
        atomic_store(&forced, -1);
        return VSQ_OK;
    }
    if (isa > VSQ_ISA_AVX512 || !vsq_isa_available((vsq_isa)isa))
        return vsq_error(VSQ_EUNSUPPORTED, "isa %d (%s) is not available on this CPU", isa,
                         isa <= 2 ? vsq_isa_name((vsq_isa)isa) : "?");
    atomic_store(&forced, isa);
    return VSQ_OK;
}

vsqk_panel_fn vsqk_select_panel(void) {
    return vsq_isa_active() == VSQ_ISA_REF ? vsqk_panel_ref : vsqk_panel_avx2;
}

vsqk_qrow_fn vsqk_select_qrow(void) {
    return vsq_isa_active() == VSQ_ISA_REF ? vsqk_quantize_row_ref : vsqk_quantize_row_avx2;
}
