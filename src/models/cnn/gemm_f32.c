/* Blocked single-precision GEMM, C[m][n] = sum_k A[m][k] * B[n][k] + bias[n].
 *
 * B (the weights, n x k) is packed into panels of NR=16 columns laid out
 * [k][16], so the micro-kernel is the classic outer product: per k step it
 * broadcasts 6 values of A and multiplies them with two 8-float vectors of
 * B into 12 AVX2 accumulators. Rows of A are processed in MC blocks so a
 * block stays in L2 while every B panel streams past it. A plain C kernel
 * (auto-vectorized) runs where the CPU lacks AVX2/FMA. OpenMP splits the
 * row blocks unless we are already inside a parallel region (the
 * evaluator parallelizes over images instead). */
#include "models/cnn/cnn.h"

#include <immintrin.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { MR = 6, NR = 16, MC = 96 };

typedef void (*kernel_fn)(int mr, int nr, int k, const float *a, size_t lda, const float *bp,
                          const float *bias, float *c, size_t ldc);

static void store_tile(int mr, int nr, const float (*acc)[NR], const float *bias, float *c,
                       size_t ldc) {
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < nr; j++) c[r * ldc + j] = acc[r][j] + (bias ? bias[j] : 0.0f);
}

static void kernel_c(int mr, int nr, int k, const float *a, size_t lda, const float *bp,
                     const float *bias, float *c, size_t ldc) {
    float acc[MR][NR] = {{0}};
    for (int p = 0; p < k; p++)
        for (int r = 0; r < mr; r++) {
            float av = a[r * lda + p];
            for (int j = 0; j < NR; j++) acc[r][j] += av * bp[p * NR + j];
        }
    store_tile(mr, nr, (const float(*)[NR])acc, bias, c, ldc);
}

__attribute__((target("avx2,fma"))) static void kernel_avx2(int mr, int nr, int k,
                                                              const float *a, size_t lda,
                                                              const float *bp,
                                                              const float *bias, float *c,
                                                              size_t ldc) {
    const float *ar[MR];
    for (int r = 0; r < MR; r++) ar[r] = a + (size_t)(r < mr ? r : mr - 1) * lda;
    __m256 acc[MR][2];
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int p = 0; p < k; p++) {
        __m256 b0 = _mm256_load_ps(bp + p * NR), b1 = _mm256_load_ps(bp + p * NR + 8);
        for (int r = 0; r < MR; r++) {
            __m256 av = _mm256_broadcast_ss(ar[r] + p);
            acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
        }
    }
    if (nr == NR) {
        __m256 z = _mm256_setzero_ps();
        __m256 bb0 = bias ? _mm256_loadu_ps(bias) : z, bb1 = bias ? _mm256_loadu_ps(bias + 8) : z;
        for (int r = 0; r < mr; r++) {
            _mm256_storeu_ps(c + r * ldc, _mm256_add_ps(acc[r][0], bb0));
            _mm256_storeu_ps(c + r * ldc + 8, _mm256_add_ps(acc[r][1], bb1));
        }
        return;
    }
    float tmp[MR][NR];
    for (int r = 0; r < MR; r++) {
        _mm256_storeu_ps(tmp[r], acc[r][0]);
        _mm256_storeu_ps(tmp[r] + 8, acc[r][1]);
    }
    store_tile(mr, nr, (const float(*)[NR])tmp, bias, c, ldc);
}

/* Chosen once, under pthread_once: images are evaluated on many threads. */
static kernel_fn picked;
static pthread_once_t pick_once = PTHREAD_ONCE_INIT;
static void pick(void) {
    __builtin_cpu_init();
    picked = (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? kernel_avx2 : kernel_c;
}
static kernel_fn pick_kernel(void) {
    pthread_once(&pick_once, pick);
    return picked;
}

/* B[n][k] -> panels [n/NR][k][NR], zero-padded past n. */
static void pack_b(int n, int k, const float *b, float *bp) {
    for (int j0 = 0; j0 < n; j0 += NR) {
        float *panel = bp + (size_t)(j0 / NR) * k * NR;
        for (int p = 0; p < k; p++)
            for (int j = 0; j < NR; j++)
                panel[p * NR + j] = j0 + j < n ? b[(size_t)(j0 + j) * k + p] : 0.0f;
    }
}

void cnn_sgemm_nt(int m, int n, int k, const float *a, const float *b, const float *bias,
                  float *c) {
    kernel_fn kern = pick_kernel();
    int panels = (n + NR - 1) / NR;
    float *bp = aligned_alloc(32, ((size_t)panels * k * NR * sizeof(float) + 31) / 32 * 32);
    if (!bp) abort(); /* tiny allocation; treat failure like a stack overflow */
    pack_b(n, k, b, bp);
    int blocks = (m + MC - 1) / MC;
#pragma omp parallel for schedule(dynamic) if (!omp_in_parallel() && (size_t)m * n * k > 200000)
    for (int blk = 0; blk < blocks; blk++) {
        int i0 = blk * MC, i1 = i0 + MC < m ? i0 + MC : m;
        for (int jp = 0; jp < panels; jp++) {
            int j0 = jp * NR, nr = n - j0 < NR ? n - j0 : NR;
            const float *panel = bp + (size_t)jp * k * NR;
            for (int i = i0; i < i1; i += MR) {
                int mr = i1 - i < MR ? i1 - i : MR;
                kern(mr, nr, k, a + (size_t)i * k, (size_t)k, panel, bias ? bias + j0 : NULL,
                     c + (size_t)i * n + j0, (size_t)n);
            }
        }
    }
    free(bp);
}
