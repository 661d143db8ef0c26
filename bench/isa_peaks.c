/* Peak loops side by side in one process (bench/isa_compare.sh): the loops
 * before issue 12 (old_*, built from commit 0170505 by the script) and the
 * library's current ones, interleaved, best of 15, per CPU-second of the
 * thread (robust to a shared core) and per wall second. */
#include <stdio.h>
#include <time.h>
double old_vnni512(long), old_int8_avx2(long), old_fma_avx2(long);
double vsqk_peak_vnni_avx512(long), vsqk_peak_vnni_avxvnni(long), vsqk_peak_int8_avx2(long),
    vsqk_peak_fma_avx2(long), vsqk_peak_fma_avx512(long);
static double cpu(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static double wall(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(void) {
    struct { const char *n; double (*f)(long); double best_c, best_w; } L[] = {
        {"old vpdpbusd zmm 6 chains", old_vnni512}, {"new vpdpbusd zmm 12 chains", vsqk_peak_vnni_avx512},
        {"new vpdpbusd ymm 12 chains (avxvnni)", vsqk_peak_vnni_avxvnni},
        {"old maddubs+madd ymm (6)", old_int8_avx2}, {"new maddubs+madd ymm (8, asm)", vsqk_peak_int8_avx2},
        {"old fma ymm 10 chains", old_fma_avx2}, {"new fma ymm 12 chains", vsqk_peak_fma_avx2},
        {"new fma zmm 12 chains", vsqk_peak_fma_avx512}};
    int n = sizeof L / sizeof *L;
    for (int i = 0; i < n; i++) L[i].best_c = L[i].best_w = 0;
    for (int rep = 0; rep < 15; rep++)
        for (int i = 0; i < n; i++) {
            double c0 = cpu(), w0 = wall();
            double ops = L[i].f(5000000);
            double c = ops / (cpu() - c0) / 1e9, w = ops / (wall() - w0) / 1e9;
            if (c > L[i].best_c) L[i].best_c = c;
            if (w > L[i].best_w) L[i].best_w = w;
        }
    for (int i = 0; i < n; i++) printf("%-40s %8.1f G/s per CPU-second  %8.1f G/s wall\n", L[i].n, L[i].best_c, L[i].best_w);
}
