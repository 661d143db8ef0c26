/* GEMV A/B harness (development tool, not built by CMake; see
 * docs/results/gemv_avx512.md): two libvsq.so builds (OLD_LIB, NEW_LIB)
 * loaded into one process, checked for identical results, then timed
 * alternately with two read loops. Env: FLUSH=1 reads 512 MiB before
 * each GEMV call; CPUT=1 (1 thread) times with the thread CPU clock.
 * usage: gemv_ab WSPEC ASPEC N K THREADS ROUNDS [M] */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vsq/kernels.h"
#include "vsq/format.h"
typedef vsq_status (*gemm_fn)(const vsq_packed_a *, const vsq_packed_w *, float *, int64_t *, int);
typedef vsq_status (*lin_fn)(const vsq_packed_w *, const vsq_format *, const float *, size_t, const float *, float *, int, vsq_packed_a *);
#include <time.h>
static int use_cpu;
static double now(void) { if (!use_cpu) return omp_get_wtime(); struct timespec ts; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); return ts.tv_sec + 1e-9 * ts.tv_nsec; }
static volatile double sink;
__attribute__((target("avx512f"))) static double rd512(const char *p, size_t n, int nt) {
  double tot = 0;
#pragma omp parallel num_threads(nt) reduction(+:tot)
  { size_t sh = n / nt / 1024 * 1024; const char *q = p + sh * omp_get_thread_num();
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < sh; i += 256) {
      _mm_prefetch(q + i + 2048, _MM_HINT_T0);
      _mm_prefetch(q + i + 2048+64, _MM_HINT_T0);
      _mm_prefetch(q + i + 2048+128, _MM_HINT_T0);
      _mm_prefetch(q + i + 2048+192, _MM_HINT_T0);
      a0 = _mm512_add_epi32(a0, _mm512_load_si512(q + i)); a1 = _mm512_add_epi32(a1, _mm512_load_si512(q + i + 64));
      a2 = _mm512_add_epi32(a2, _mm512_load_si512(q + i + 128)); a3 = _mm512_add_epi32(a3, _mm512_load_si512(q + i + 192)); }
    tot = _mm512_reduce_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3))); }
  return tot;
}
__attribute__((target("avx2"))) static double rd8(const char *p, size_t n, int nt) {
  double tot = 0;
#pragma omp parallel num_threads(nt) reduction(+:tot)
  { size_t sh = n / nt / 2048 * 2048; const char *q = p + sh * omp_get_thread_num(); size_t seg = sh / 8;
    __m256i t[8]; for (int s = 0; s < 8; s++) t[s] = _mm256_setzero_si256();
    for (size_t i = 0; i < seg; i += 64) for (int s = 0; s < 8; s++)
      t[s] = _mm256_add_epi32(t[s], _mm256_add_epi32(_mm256_load_si256((const void*)(q + s*seg + i)), _mm256_load_si256((const void*)(q + s*seg + i + 32))));
    for (int s = 1; s < 8; s++) t[0] = _mm256_add_epi32(t[0], t[s]); tot = _mm256_extract_epi32(t[0], 0); }
  return tot;
}
int main(int argc, char **argv) {
  const char *wspec = argc > 1 ? argv[1] : "int4:v16:s6", *aspec = argc > 2 ? argv[2] : "int8:v16:s10";
  size_t n = argc > 3 ? atol(argv[3]) : 16384, k = argc > 4 ? atol(argv[4]) : 16384;
  int nt = argc > 5 ? atoi(argv[5]) : 1, rounds = argc > 6 ? atoi(argv[6]) : 5;
  size_t m = argc > 7 ? atol(argv[7]) : 1; use_cpu = nt == 1 && getenv("CPUT");
  void *ho = dlopen(getenv("OLD_LIB") ? getenv("OLD_LIB") : "old/libvsq.so", RTLD_NOW | RTLD_LOCAL);
  void *hn = dlopen(getenv("NEW_LIB") ? getenv("NEW_LIB") : "build/libvsq.so", RTLD_NOW | RTLD_LOCAL);
  if (!ho || !hn) { fprintf(stderr, "%s\n", dlerror()); return 1; }
  gemm_fn g[2] = {(gemm_fn)dlsym(ho, "vsq_gemm_packed"), (gemm_fn)dlsym(hn, "vsq_gemm_packed")};
  lin_fn l[2] = {(lin_fn)dlsym(ho, "vsq_linear_q"), (lin_fn)dlsym(hn, "vsq_linear_q")};
  vsq_status (*parse)(const char *, vsq_format *) = dlsym(hn, "vsq_format_parse");
  vsq_status (*qpw)(const vsq_format *, const float *, size_t, size_t, vsq_packed_w *) = dlsym(hn, "vsq_quantize_pack_weights");
  vsq_status (*qa)(const vsq_format *, const float *, size_t, size_t, vsq_packed_a *) = dlsym(hn, "vsq_quantize_act");
  vsq_format fw, fa; parse(wspec, &fw); parse(aspec, &fa);
  float *xw = malloc(n * k * 4), *xa = malloc(m * k * 4), *y[2] = {malloc(m*n*4), malloc(m*n*4)};
  unsigned s = 1; for (size_t i = 0; i < n * k; i++) { s = s * 1103515245 + 12345; xw[i] = ((int)(s >> 8) % 20001 - 10000) / 3000.0f; }
  for (size_t i = 0; i < m * k; i++) { s = s * 1103515245 + 12345; xa[i] = ((int)(s >> 8) % 20001 - 10000) / 3000.0f; }
  vsq_packed_w pw; vsq_packed_a pa; memset(&pa, 0, sizeof pa);
  if (qpw(&fw, xw, n, k, &pw) || qa(&fa, xa, m, k, &pa)) { fprintf(stderr, "pack failed\n"); return 1; }
  free(xw);
  size_t rb = 512u << 20; char *rbuf = aligned_alloc(4096, rb); memset(rbuf, 1, rb);
  double wbytes = (double)pw.n_panels * pw.panel_bytes;
  int64_t *acc[2] = {malloc(m*n*8), malloc(m*n*8)};
  g[0](&pa, &pw, y[0], acc[0], nt); g[1](&pa, &pw, y[1], acc[1], nt);
  if (memcmp(acc[0], acc[1], m*n*8) || memcmp(y[0], y[1], m*n*4)) printf("MISMATCH old/new\n");
  l[0](&pw, &fa, xa, m, NULL, y[0], nt, NULL); l[1](&pw, &fa, xa, m, NULL, y[1], nt, NULL);
  if (memcmp(y[0], y[1], m*n*4)) printf("MISMATCH linear old/new\n");
  double best[6] = {1e9,1e9,1e9,1e9,1e9,1e9};
  for (int r = 0; r < rounds; r++) {
    double t;
    t = now(); sink += rd512(rbuf, rb, nt); t = now() - t; if (t < best[0]) best[0] = t;
    t = now(); sink += rd8(rbuf, rb, nt); t = now() - t; if (t < best[1]) best[1] = t;
    for (int v = 0; v < 2; v++) { int reps = wbytes < 64e6 ? 20 : 2; if (getenv("FLUSH")) { reps = 1; sink += rd8(rbuf, rb, nt); }
      t = now(); for (int q = 0; q < reps; q++) g[v](&pa, &pw, y[v], NULL, nt); t = (now() - t) / reps; if (t < best[2+v]) best[2+v] = t;
      if (getenv("FLUSH")) sink += rd8(rbuf, rb, nt);
      t = now(); for (int q = 0; q < reps; q++) l[v](&pw, &fa, xa, m, NULL, y[v], nt, NULL); t = (now() - t) / reps; if (t < best[4+v]) best[4+v] = t; }
  }
  double r512 = rb / best[0] / 1e9, r8 = rb / best[1] / 1e9, rmax = r512 > r8 ? r512 : r8;
  printf("%s/%s m=%zu %zux%zu t=%d  read512 %.1f  read8x256 %.1f GB/s | gemv old %.1f new %.1f GB/s (%.0f%% -> %.0f%%) | linear old %.1f new %.1f\n",
    wspec, aspec, m, n, k, nt, r512, r8, wbytes/best[2]/1e9, wbytes/best[3]/1e9, 100*wbytes/best[2]/1e9/rmax, 100*wbytes/best[3]/1e9/rmax,
    wbytes/best[4]/1e9, wbytes/best[5]/1e9);
  return 0;
}
