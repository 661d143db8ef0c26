/* fp32 y = W x, the float baseline of LLM decode: eight partial sums per
 * row over stride-8 groups, combined as ((s0+s4)+(s1+s5))+((s2+s6)+(s3+s7)),
 * then the tail. Every ISA variant performs exactly these operations (no
 * FMA contraction: ISO C mode), so results are bit-identical across ISAs,
 * thread counts and machines; the AVX2 variant only streams 4 rows at once
 * (more reads in flight) with 256-bit registers. */
#include <omp.h>

#include "isa_table.h"

float vsqk_dot8_ref(const float *w, const float *x, size_t cols) {
    size_t c8 = cols & ~(size_t)7;
    float acc[8] = {0};
    for (size_t j = 0; j < c8; j += 8)
        for (int k = 0; k < 8; k++) acc[k] += w[j + k] * x[j + k];
    float v = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (size_t j = c8; j < cols; j++) v += w[j] * x[j];
    return v;
}

void vsqk_matvec_rows_ref(const float *w, const float *x, float *y, size_t r0, size_t r1,
                          size_t cols) {
    for (size_t i = r0; i < r1; i++) y[i] = vsqk_dot8_ref(w + i * cols, x, cols);
}

void vsq_matvec_f32(const float *w, const float *x, float *y, size_t rows, size_t cols,
                    int threads) {
    vsqk_matvec_rows_fn rows_fn = vsqk_ops()->matvec_rows;
    int nt = threads > 0 ? threads : omp_get_max_threads();
    size_t blk = 64, nb = (rows + blk - 1) / blk;
    /* below ~256K weights forking threads costs more than it saves */
    int par = nt > 1 && nb > 1 && rows * cols >= ((size_t)1 << 18);
#pragma omp parallel for schedule(static) num_threads(nt) if (par)
    for (size_t b = 0; b < nb; b++) {
        size_t r0 = b * blk, r1 = r0 + blk < rows ? r0 + blk : rows;
        rows_fn(w, x, y, r0, r1, cols);
    }
}
