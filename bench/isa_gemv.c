/* The int8 GEMV of each ISA side by side in one process (bench/isa_compare.sh):
 * W4A8 and W8A8 two-level (int8:v16:s10 activations), 4096^2 and 16384^2,
 * 1 thread, ISAs interleaved by vsq_isa_force, best of N, GB/s of packed
 * weights per wall second and per CPU-second of the thread; checks that
 * the three give identical y. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "vsq/vsq.h"
#include "vsq/kernels.h"
static double wall(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static double cpu(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(void) {
    const char *ws[] = {"int4:v16:s6", "int8:v16:s6"}, *nm[] = {"W4A8", "W8A8"};
    size_t sizes[] = {4096, 16384};
    int isas[] = {VSQ_ISA_AVX2, VSQ_ISA_AVXVNNI, VSQ_ISA_AVX512};
    for (int si = 0; si < 2; si++)
        for (int wi = 0; wi < 2; wi++) {
            size_t n = sizes[si], k = n;
            float *x = malloc(n * k * 4), *a = malloc(k * 4), *y = malloc(n * 4), *y0 = malloc(n * 4);
            uint64_t s = 88172645463325252ull;
            for (size_t i = 0; i < n * k; i++) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; x[i] = (float)((int64_t)(s >> 40) - (1 << 23)) / (1 << 23); }
            for (size_t i = 0; i < k; i++) a[i] = x[i * 7 % (n * k)];
            vsq_format fw, fa; vsq_format_parse(ws[wi], &fw); vsq_format_parse("int8:v16:s10", &fa);
            vsq_packed_w pw; vsq_packed_a pa; memset(&pa, 0, sizeof pa);
            vsq_quantize_pack_weights(&fw, x, n, k, &pw); vsq_quantize_act(&fa, a, 1, k, &pa);
            double bytes = (double)pw.n_panels * pw.panel_bytes;
            double bw[3] = {1e30, 1e30, 1e30}, bc[3] = {1e30, 1e30, 1e30};
            int reps = si ? 12 : 60;
            for (int r = 0; r < reps; r++)
                for (int i = 0; i < 3; i++) {
                    vsq_isa_force(isas[i]);
                    double w0 = wall(), c0 = cpu();
                    vsq_gemm_packed(&pa, &pw, y, NULL, 1);
                    double dw = wall() - w0, dc = cpu() - c0;
                    if (dw < bw[i]) bw[i] = dw;
                    if (dc < bc[i]) bc[i] = dc;
                    if (i == 0) memcpy(y0, y, n * 4); else if (memcmp(y0, y, n * 4)) printf("MISMATCH\n");
                }
            printf("%s %zux%zu:", nm[wi], n, k);
            for (int i = 0; i < 3; i++) printf("  %s %.2f GB/s (cpu-time %.2f)", vsq_isa_name(isas[i]), bytes / bw[i] / 1e9, bytes / bc[i] / 1e9);
            printf("\n");
            vsq_isa_force(-1);
            vsq_packed_w_free(&pw); vsq_packed_a_free(&pa); free(x); free(a); free(y); free(y0);
        }
}
