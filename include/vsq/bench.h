/* vsq/bench.h - the physical limits the benchmark (vsq bench) compares the
 * kernels with: register-only throughput loops (no memory traffic) and a
 * read-bandwidth probe. They are measuring tools, not kernels: each returns
 * the work it did so that the caller divides by its own clock.
 *
 * The loops need the ISA in their name. When the CPU (or this build) lacks
 * it they do nothing and return 0, so a caller that skips the vsq_isa_
 * available() check gets "no figure" instead of an illegal instruction.
 */
#ifndef VSQ_BENCH_H
#define VSQ_BENCH_H

#include <stddef.h>

#include "vsq/kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Register-only peak loops: `iters` iterations of independent chains;
 * return the operations done (2 per multiply-accumulate), or 0 when the
 * ISA is unavailable.
 *   int8_avx2     vpmaddubsw + vpmaddwd (AVX2 int8 dot idiom)
 *   madd16_avx2   vpmaddwd alone (int16 MACs, what the packed kernels use)
 *   fma_avx2      fp32 FMA
 *   vnni_avx512   vpdpbusd on zmm (AVX-512 VNNI) */
double vsq_peak_int8_avx2(long iters);
double vsq_peak_madd16_avx2(long iters);
double vsq_peak_fma_avx2(long iters);
double vsq_peak_vnni_avx512(long iters);

/* Read-bandwidth probe over a[0..n): 8 interleaved streams of 256-bit
 * loads on AVX2 CPUs when n is a multiple of 512 and `a` is 64-byte
 * aligned, otherwise a plain loop. Either way it touches every cache line
 * and returns the sum of the elements whose index is a multiple of 8 (the
 * first lane of every 256-bit load; summation order depends on the path),
 * a data-dependent value, so the reads cannot be dropped. */
float vsq_read_f32(const float *a, size_t n);

/* Each ISA's own probes, as its kernel table names them (docs/kernels.md):
 * the best int8-dot loop (with the instruction sequence it times), the fp32
 * FMA loop and the read-bandwidth reader (n a multiple of 512 floats, `a`
 * 64-byte aligned; returns a data-dependent value). An entry the ISA
 * inherits from the ISA below it in the fallback chain (avx512 -> avxvnni
 * -> avx2 -> ref) is NULL, so that each loop is measured once. */
typedef struct {
    const char *isa;
    double (*peak_int8)(long iters);
    const char *peak_int8_what;
    double (*peak_fma)(long iters);
    float (*read)(const float *a, size_t n);
} vsq_isa_probes;

/* Fills `out` for `isa`; returns 0, or -1 (out zeroed) when this CPU or
 * build cannot run that ISA. */
int vsq_isa_probes_get(vsq_isa isa, vsq_isa_probes *out);

/* The ISAs in the active ISA's fallback chain, the active one first (at
 * most 4): the kernels of the active ISA may use any of them. */
int vsq_isa_chain(vsq_isa out[4]);

#ifdef __cplusplus
}
#endif
#endif
