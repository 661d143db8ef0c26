/* vsq_matvec_f32 (the fp32 decode baseline): every ISA variant and thread
 * count gives bit-identical results, equal to the documented summation
 * order computed here in plain C, on odd shapes (tails of 1..7 columns,
 * row counts not a multiple of 4 or of the 64-row blocks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "vsq/kernels.h"

static float oracle(const float *w, const float *x, size_t cols) {
    size_t c8 = cols / 8 * 8;
    float s[8] = {0};
    for (size_t j = 0; j < c8; j++) s[j % 8] += w[j] * x[j];
    float v = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (size_t j = c8; j < cols; j++) v += w[j] * x[j];
    return v;
}

static void test_bit_identical(void **state) {
    (void)state;
    const size_t shapes[][2] = {{1, 1}, {3, 7}, {4, 8}, {5, 17}, {63, 100}, {130, 515}, {600, 512}};
    uint32_t seed = 12345;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        size_t rows = shapes[s][0], cols = shapes[s][1];
        float *w = malloc(rows * cols * sizeof *w), *x = malloc(cols * sizeof *x);
        float *y = malloc(rows * sizeof *y), *want = malloc(rows * sizeof *want);
        for (size_t i = 0; i < rows * cols; i++) {
            seed = seed * 1664525u + 1013904223u;
            w[i] = (float)((int32_t)seed >> 8) * 1e-6f;
        }
        for (size_t j = 0; j < cols; j++) x[j] = (float)((int)(j % 13) - 6) * 0.37f;
        for (size_t i = 0; i < rows; i++) want[i] = oracle(w + i * cols, x, cols);
        for (int isa = 0; isa <= VSQ_ISA_AVXVNNI; isa++) {
            if (!vsq_isa_available((vsq_isa)isa)) continue;
            assert_int_equal(vsq_isa_force(isa), VSQ_OK);
            for (int t = 1; t <= 2; t++) {
                memset(y, 0, rows * sizeof *y);
                vsq_matvec_f32(w, x, y, rows, cols, t);
                assert_memory_equal(y, want, rows * sizeof *y);
            }
        }
        vsq_isa_force(-1);
        free(w), free(x), free(y), free(want);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_bit_identical)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
