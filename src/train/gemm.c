/* The two fp32 GEMM shapes of training, one register-blocked algorithm:
 *   nn: C[m][n] += sum_k A[m][k] B[k][n]   (forward, input gradients)
 *   tn: C[n][k] += sum_m A[m][n] B[m][k]   (weight gradients dW += dY^T X)
 * Both are C[r][c] += sum_t X(r,t) Y(t,c) with Y row-major and X read with
 * strides (ars, ats). A 4 x 16 tile of C is accumulated in registers over
 * the whole t range in order, then added to C once, so every element's sum
 * has a fixed order (bit-reproducible for a given binary and CPU). The
 * AVX2/FMA kernel is picked at run time; the portable one runs elsewhere
 * and for the last n % 16 columns. */
#include <immintrin.h>

#include "train/train.h"

enum { MR = 4, NR = 16 };

/* One MR x NR tile (mr <= MR rows valid) over t = 0..kt-1. */
__attribute__((target("avx2,fma"))) static void tile_avx2(int mr, int kt, const float *a, size_t ars,
                                                          size_t ats, const float *b, size_t ldb,
                                                          float *c, size_t ldc) {
    __m256 acc[MR][2];
    const float *ar[MR];
    for (int r = 0; r < MR; r++) {
        acc[r][0] = acc[r][1] = _mm256_setzero_ps();
        ar[r] = a + (size_t)(r < mr ? r : mr - 1) * ars;
    }
    for (int t = 0; t < kt; t++) {
        __m256 b0 = _mm256_loadu_ps(b + t * ldb), b1 = _mm256_loadu_ps(b + t * ldb + 8);
        for (int r = 0; r < MR; r++) {
            __m256 av = _mm256_broadcast_ss(ar[r] + t * ats);
            acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < mr; r++) {
        float *cr = c + r * ldc;
        _mm256_storeu_ps(cr, _mm256_add_ps(_mm256_loadu_ps(cr), acc[r][0]));
        _mm256_storeu_ps(cr + 8, _mm256_add_ps(_mm256_loadu_ps(cr + 8), acc[r][1]));
    }
}

/* Portable: any tile width nr <= NR. */
static void tile_c(int mr, int nr, int kt, const float *a, size_t ars, size_t ats, const float *b,
                   size_t ldb, float *c, size_t ldc) {
    for (int r = 0; r < mr; r++) {
        float acc[NR] = {0};
        for (int t = 0; t < kt; t++) {
            float av = a[r * ars + t * ats];
            for (int j = 0; j < nr; j++) acc[j] += av * b[t * ldb + j];
        }
        for (int j = 0; j < nr; j++) c[r * ldc + j] += acc[j];
    }
}

static int have_avx2(void) {
    static int v = -1;
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return v;
}

static void gemm_strided(int rows, int cols, int kt, const float *a, size_t ars, size_t ats,
                         const float *b, size_t ldb, float *c, size_t ldc) {
    int fast = have_avx2();
    for (int r0 = 0; r0 < rows; r0 += MR) {
        int mr = rows - r0 < MR ? rows - r0 : MR;
        const float *ar = a + r0 * ars;
        for (int c0 = 0; c0 < cols; c0 += NR) {
            int nr = cols - c0 < NR ? cols - c0 : NR;
            if (fast && nr == NR)
                tile_avx2(mr, kt, ar, ars, ats, b + c0, ldb, c + r0 * ldc + c0, ldc);
            else
                tile_c(mr, nr, kt, ar, ars, ats, b + c0, ldb, c + r0 * ldc + c0, ldc);
        }
    }
}

void tr_gemm_nn(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                int ldc) {
    gemm_strided(m, n, k, a, (size_t)lda, 1, b, (size_t)ldb, c, (size_t)ldc);
}

void tr_gemm_tn(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                int ldc) {
    gemm_strided(n, k, m, a, 1, (size_t)lda, b, (size_t)ldb, c, (size_t)ldc);
}
