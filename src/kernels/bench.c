/* Public wrappers of the peak loops and the read probe (vsq/bench.h): the
 * ISA check that keeps a caller on a smaller CPU from an illegal
 * instruction. The loops themselves are in x86/peak_*.c. */
#include <stdint.h>

#include "kernels/kernels_internal.h"
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
    if (vsq_isa_available(VSQ_ISA_AVX2) && n % 128 == 0 && ((uintptr_t)a & 31) == 0)
        return vsqk_read_avx2(a, n);
    /* one float per 32 bytes: every 64-byte line is still read */
    float s = 0;
    for (size_t i = 0; i < n; i += 8) s += a[i];
    return s;
}
