/* Public wrappers of the peak loops and the read probe (vsq/bench.h): the
 * ISA check that keeps a caller on a smaller CPU from an illegal
 * instruction. The loops themselves are in x86/peak_*.c. */
#include <stdint.h>

#include <string.h>

#include "kernels/isa_table.h"
#include "vsq/bench.h"

double vsq_peak_int8_avx2(long iters) {
    return vsq_isa_available(VSQ_ISA_AVX2) ? vsqk_peak_int8_avx2(iters) : 0.0;
}
double vsq_peak_madd16_avx2(long iters) {
    return vsq_isa_available(VSQ_ISA_AVX2) ? vsqk_peak_madd16_avx2(iters) : 0.0;
}
double vsq_peak_fma_avx2(long iters) {
    return vsq_isa_available(VSQ_ISA_AVX2) ? vsqk_peak_fma_avx2(iters) : 0.0;
}
/* VSQ_ISA_AVX512 is reported only with VNNI (dispatch.c). */
double vsq_peak_vnni_avx512(long iters) {
    return vsq_isa_available(VSQ_ISA_AVX512) ? vsqk_peak_vnni_avx512(iters) : 0.0;
}

float vsq_read_f32(const float *a, size_t n) {
    if (vsq_isa_available(VSQ_ISA_AVX2) && n % 512 == 0 && ((uintptr_t)a & 63) == 0)
        return vsqk_read_avx2(a, n);
    /* one float per 32 bytes, as the 8-stream reader's lane 0: every
     * 64-byte line is still read */
    float s = 0;
    for (size_t i = 0; i < n; i += 8) s += a[i];
    return s;
}

int vsq_isa_probes_get(vsq_isa isa, vsq_isa_probes *out) {
    memset(out, 0, sizeof *out);
    const vsqk_isa_ops *o = vsqk_ops_for(isa);
    if (!o) return -1;
    const vsqk_isa_ops *lo = vsqk_ops_lower(o);
    out->isa = o->name;
    if (o->peak_int8 && !(lo && lo->peak_int8 == o->peak_int8)) {
        out->peak_int8 = o->peak_int8;
        out->peak_int8_what = o->peak_int8_what;
    }
    if (o->peak_fma && !(lo && lo->peak_fma == o->peak_fma)) out->peak_fma = o->peak_fma;
    if (o->read && !(lo && lo->read == o->read)) out->read = o->read;
    return 0;
}

int vsq_isa_chain(vsq_isa out[4]) {
    int n = 0;
    for (const vsqk_isa_ops *o = vsqk_ops(); o && n < 4; o = vsqk_ops_lower(o)) out[n++] = o->id;
    return n;
}
