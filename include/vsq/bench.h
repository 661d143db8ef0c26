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
 * loads on AVX2 CPUs when n is a multiple of 128 and `a` is 32-byte
 * aligned, otherwise a plain loop. Either way it touches every cache line
 * of the array and returns the sum of the elements whose index is a
 * multiple of 8 (a value that depends on the data, so that the reads
 * cannot be dropped; the AVX2 path adds the first lane of every load). */
float vsq_read_f32(const float *a, size_t n);

#ifdef __cplusplus
}
#endif
#endif
