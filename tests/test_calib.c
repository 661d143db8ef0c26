/* test_calib.c - calibrators: hand-checked cases and properties.
 *
 * Covers vsq_calib_alpha (max, percentile, entropy, mse, octav) on direct
 * data and the static vsq_calibrator over batches.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vsq/calib.h"
#include "vsq/quant.h"
#include "calib/calib_internal.h"

/* ---- helpers ---------------------------------------------------------- */

static vsq_format fmt_of(vsq_elem_kind elem, int bits, vsq_calib_method m, double p) {
    vsq_format f;
    memset(&f, 0, sizeof f);
    f.elem = elem;
    f.bits = bits;
    f.gran = VSQ_GRAN_TENSOR;
    f.scale = VSQ_SCALE_FP32;
    f.calib = m;
    f.percentile = p;
    return f;
}

static float alpha_of(vsq_elem_kind elem, int bits, vsq_calib_method m, double p,
                      const float *x, size_t n) {
    vsq_format f = fmt_of(elem, bits, m, p);
    float a = -1.0f;
    assert_int_equal(vsq_calib_alpha(&f, x, n, &a), VSQ_OK);
    return a;
}

/* Deterministic generator (xorshift64*) and Box-Muller normals. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double uniform01(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return ((rng_state * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}
static float gauss(void) {
    double u = uniform01(), v = uniform01();
    if (u < 1e-300) u = 1e-300;
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}
static float *gauss_vec(size_t n, float sigma) {
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) x[i] = sigma * gauss();
    return x;
}

/* Reference quantization MSE of signed data on the symmetric grid
 * -qref..qref, written independently of the library: codes by vsq_round. */
static double ref_mse(const float *x, size_t n, double alpha, int qref) {
    double s = alpha / qref, sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        long q = vsq_round(x[i] / s);
        if (q > qref) q = qref;
        if (q < -qref) q = -qref;
        double e = x[i] - q * s;
        sum += e * e;
    }
    return sum / (double)n;
}

static int cmp_float(const void *a, const void *b) {
    float u = *(const float *)a, v = *(const float *)b;
    return (u > v) - (u < v);
}

/* ---- max and percentile ----------------------------------------------- */

static void test_one_to_hundred(void **state) {
    (void)state;
    float x[100];
    for (int i = 0; i < 100; i++) x[i] = (float)(100 - i); /* unsorted order */
    assert_float_equal(alpha_of(VSQ_ELEM_INT, 8, VSQ_CALIB_MAX, 0, x, 100), 100.0f, 0);
    /* rank 0.5*99 = 49.5 -> halfway between 50 and 51 */
    assert_float_equal(alpha_of(VSQ_ELEM_INT, 8, VSQ_CALIB_PERCENTILE, 50, x, 100), 50.5f, 1e-5);
    /* rank 0.99*99 = 98.01 -> 99 + 0.01 */
    assert_float_equal(alpha_of(VSQ_ELEM_INT, 8, VSQ_CALIB_PERCENTILE, 99, x, 100), 99.01f, 1e-4);
    assert_float_equal(alpha_of(VSQ_ELEM_INT, 8, VSQ_CALIB_PERCENTILE, 100, x, 100), 100.0f, 0);
    /* signed grid: the sign does not matter */
    for (int i = 0; i < 100; i += 2) x[i] = -x[i];
    assert_float_equal(alpha_of(VSQ_ELEM_INTF, 8, VSQ_CALIB_PERCENTILE, 50, x, 100), 50.5f, 1e-5);
    assert_float_equal(alpha_of(VSQ_ELEM_INT, 8, VSQ_CALIB_MAX, 0, x, 100), 100.0f, 0);
}

/* Selection agrees with sorting, also with many duplicates. */
static void test_percentile_matches_sort(void **state) {
    (void)state;
    const size_t n = 1001;
    float *x = malloc(n * sizeof *x), *s = malloc(n * sizeof *s);
    assert_non_null(x);
    assert_non_null(s);
    for (int trial = 0; trial < 2; trial++) {
        for (size_t i = 0; i < n; i++)
            x[i] = trial == 0 ? gauss() : (float)((int)(uniform01() * 7) - 3); /* duplicates */
        for (size_t i = 0; i < n; i++) s[i] = fabsf(x[i]);
        qsort(s, n, sizeof *s, cmp_float);
        const double ps[] = {0.1, 10, 25, 50, 75, 90, 99, 99.9, 99.99};
        for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
            double r = ps[k] / 100.0 * (n - 1);
            size_t lo = (size_t)r;
            double want = s[lo] + (r - lo) * (s[lo + 1] - s[lo]);
            float got = alpha_of(VSQ_ELEM_INT, 8, VSQ_CALIB_PERCENTILE, ps[k], x, n);
            assert_float_equal(got, want, 1e-5 * (1 + fabs(want)));
        }
    }
    free(x);
    free(s);
}

/* ---- hand-checked mse and octav ---------------------------------------- */

/* int2 (qref 1): grid {0, a}. x = {0.5, 1}: both round to code 1 for any
 * a <= 1, so MSE = (0.5-a)^2 + (1-a)^2, minimal at a = 0.75.
 * OCTAV with B = 2, c = 1/48: from s0 = 0.75, only 1 is above, so
 * s1 = 1 / (c*1 + 1) = 48/49, and that is the fixed point. */
static void test_mse_octav_hand(void **state) {
    (void)state;
    const float x[2] = {0.5f, -1.0f};
    assert_float_equal(alpha_of(VSQ_ELEM_INT, 2, VSQ_CALIB_MSE, 0, x, 2), 0.75f, 1e-6);
    assert_float_equal(alpha_of(VSQ_ELEM_INT, 2, VSQ_CALIB_OCTAV, 0, x, 2), 48.0f / 49.0f, 1e-6);
}

/* OCTAV's answer satisfies its own fixed-point equation. */
static void test_octav_fixed_point(void **state) {
    (void)state;
    const size_t n = 20000;
    float *x = gauss_vec(n, 2.0f);
    for (int bits = 3; bits <= 8; bits++) {
        float a = alpha_of(VSQ_ELEM_INT, bits, VSQ_CALIB_OCTAV, 0, x, n);
        double c = pow(4.0, -bits) / 3.0, sum_out = 0, n_in = 0, n_out = 0;
        for (size_t i = 0; i < n; i++) {
            double m = fabs(x[i]);
            if (m > a) {
                sum_out += m;
                n_out++;
            } else {
                n_in++;
            }
        }
        double rhs = sum_out / (c * n_in + n_out);
        assert_true(fabs(rhs - a) <= 1e-4 * a);
    }
    free(x);
}

/* ---- properties on Gaussian data --------------------------------------- */

/* The MSE search is the minimiser: no other method's alpha quantizes with
 * a smaller error, and OCTAV (a model of the same objective) lands near it. */
static void test_mse_is_minimal(void **state) {
    (void)state;
    const size_t n = 8192;
    float *x = gauss_vec(n, 1.0f);
    x[17] = 9.0f; /* a mild outlier */
    for (int bits = 3; bits <= 8; bits++) {
        int qref = (1 << (bits - 1)) - 1;
        float a_mse = alpha_of(VSQ_ELEM_INT, bits, VSQ_CALIB_MSE, 0, x, n);
        double e_mse = ref_mse(x, n, a_mse, qref);
        const vsq_calib_method others[] = {VSQ_CALIB_MAX, VSQ_CALIB_PERCENTILE,
                                           VSQ_CALIB_ENTROPY, VSQ_CALIB_OCTAV};
        for (int k = 0; k < 4; k++) {
            float a = alpha_of(VSQ_ELEM_INT, bits, others[k], 99.9, x, n);
            assert_true(e_mse <= ref_mse(x, n, a, qref) * (1 + 1e-3));
        }
        /* and no alpha on a fine independent grid beats it by more than 0.5% */
        for (int k = 1; k <= 1000; k++)
            assert_true(e_mse <= ref_mse(x, n, 9.0 * k / 1000, qref) * 1.005);
    }
    free(x);
}

static void test_octav_near_mse_gauss4(void **state) {
    (void)state;
    const size_t n = 50000;
    float *x = gauss_vec(n, 1.0f);
    float a_mse = alpha_of(VSQ_ELEM_INT, 4, VSQ_CALIB_MSE, 0, x, n);
    float a_oct = alpha_of(VSQ_ELEM_INT, 4, VSQ_CALIB_OCTAV, 0, x, n);
    assert_true(fabsf(a_oct - a_mse) <= 0.10f * a_mse);
    /* the known optimum for a unit Gaussian at 4 bits is ~2.5 sigma */
    assert_true(a_mse > 2.0f && a_mse < 3.2f);
    free(x);
}

/* One huge outlier: max follows it; percentile and entropy ignore it.
 * The MSE-based methods ignore it only while clipping it costs less than
 * the noise it saves. With 10^4 unit Gaussians (energy ~10^4) an outlier at
 * 1000 costs ~10^6 when clipped, more than zeroing all the Gaussians, so
 * mse keeps it (alpha = max). OCTAV's model charges step^2/12 to every
 * kept value, so it settles where only the outlier is above the clip:
 * s = 1000 / (1 + 9999 * 4^-B/3) (71.3 at 4 bits, 951.6 at 8 bits).
 * An outlier at 30 (cost ~750 when clipped) is clipped by both. */
static void test_outlier(void **state) {
    (void)state;
    const size_t n = 10000;
    float *x = gauss_vec(n, 1.0f);
    x[1234] = -1000.0f;
    for (int bits = 4; bits <= 8; bits += 4) {
        assert_float_equal(alpha_of(VSQ_ELEM_INT, bits, VSQ_CALIB_MAX, 0, x, n), 1000.0f, 0);
        float a = alpha_of(VSQ_ELEM_INT, bits, VSQ_CALIB_PERCENTILE, 99.9, x, n);
        assert_true(a > 2.0f && a < 5.0f);
        a = alpha_of(VSQ_ELEM_INT, bits, VSQ_CALIB_ENTROPY, 0, x, n);
        assert_true(a > 0.0f && a < 100.0f);
    }
    for (int bits = 4; bits <= 8; bits += 4) {
        assert_float_equal(alpha_of(VSQ_ELEM_INT, bits, VSQ_CALIB_MSE, 0, x, n), 1000.0f, 0);
        double want = 1000.0 / (1.0 + 9999.0 * pow(4.0, -bits) / 3.0);
        assert_float_equal(alpha_of(VSQ_ELEM_INT, bits, VSQ_CALIB_OCTAV, 0, x, n), want,
                           1e-4 * want);
    }
    float a;
    x[1234] = 30.0f;
    for (int m = VSQ_CALIB_MSE; m <= VSQ_CALIB_OCTAV; m++) {
        a = alpha_of(VSQ_ELEM_INT, 4, m, 0, x, n);
        assert_true(a > 1.5f && a < 4.0f);
    }
    free(x);
}

/* Uniform data has nothing to clip: entropy keeps (nearly) the full range. */
static void test_entropy_uniform(void **state) {
    (void)state;
    const size_t n = 100000;
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) x[i] = (float)(2.0 * uniform01() - 1.0);
    float a = alpha_of(VSQ_ELEM_INT, 8, VSQ_CALIB_ENTROPY, 0, x, n);
    assert_true(a >= 0.95f && a <= 1.0f);
    free(x);
}

/* Naive O(i) transcription of the KL procedure (docs/calibration.md),
 * used to check the sparse, division-free implementation. */
static double naive_kl(const calib_hist *h, int i, int nl) {
    static double P[CALIB_NBINS], Q[CALIB_NBINS];
    double total = 0, q_total = 0;
    for (int b = 0; b < CALIB_NBINS; b++) total += h->count[b];
    for (int b = 0; b < i; b++) {
        P[b] = h->count[b];
        q_total += h->count[b];
    }
    for (int b = i; b < CALIB_NBINS; b++) P[i - 1] += h->count[b];
    if (q_total <= 0) return INFINITY;
    for (int j = 0; j < nl; j++) {
        int lo = (int)((long)j * i / nl), hi = (int)((long)(j + 1) * i / nl);
        double sum = 0;
        int nz = 0;
        for (int b = lo; b < hi; b++) {
            sum += h->count[b];
            nz += P[b] > 0;
        }
        for (int b = lo; b < hi; b++) Q[b] = P[b] > 0 ? sum / nz : 0;
    }
    double kl = 0;
    for (int b = 0; b < i; b++) {
        if (P[b] <= 0) continue;
        double p = P[b] / total, q = Q[b] / q_total;
        kl += p * log(p / (q > 1e-12 ? q : 1e-12));
    }
    return kl;
}

static void test_entropy_matches_naive(void **state) {
    (void)state;
    const size_t n = 20000;
    float *m = malloc(n * sizeof *m);
    calib_hist *h = malloc(sizeof *h);
    assert_non_null(m);
    assert_non_null(h);
    for (int trial = 0; trial < 3; trial++) {
        for (size_t i = 0; i < n; i++) {
            double g = gauss();
            m[i] = (float)fabs(trial == 0 ? g : trial == 1 ? g * g * g : log(uniform01() + 1e-9));
        }
        if (trial == 2) m[5] = 500.0f;
        float max = 0;
        for (size_t i = 0; i < n; i++) max = m[i] > max ? m[i] : max;
        calib_hist_fill(h, m, n, max);
        const int nls[] = {4, 8, 128};
        for (int k = 0; k < 3; k++) {
            int last = CALIB_NBINS - 1;
            while (h->count[last] == 0) last--;
            double best = INFINITY;
            int best_i = last + 1;
            for (int i = nls[k]; i <= last + 1; i++) {
                double kl = naive_kl(h, i, nls[k]);
                if (kl < best) {
                    best = kl;
                    best_i = i;
                }
            }
            double want = best_i * (h->range / CALIB_NBINS);
            if (want > max) want = max;
            assert_float_equal(calib_entropy_hist(h, nls[k], max), want, 1e-6 * max);
        }
    }
    free(m);
    free(h);
}

/* ---- grids, edge cases, errors ------------------------------------------ */

static void test_uint_ignores_negatives(void **state) {
    (void)state;
    const float x[6] = {-100.0f, 1.0f, 2.0f, -50.0f, 3.0f, 0.0f};
    const vsq_calib_method ms[] = {VSQ_CALIB_MAX, VSQ_CALIB_PERCENTILE, VSQ_CALIB_ENTROPY,
                                   VSQ_CALIB_MSE, VSQ_CALIB_OCTAV};
    assert_float_equal(alpha_of(VSQ_ELEM_UINT, 4, VSQ_CALIB_MAX, 0, x, 6), 3.0f, 0);
    assert_float_equal(alpha_of(VSQ_ELEM_UINT, 4, VSQ_CALIB_PERCENTILE, 100, x, 6), 3.0f, 0);
    /* magnitudes sorted {0,0,0,1,2,3}: rank 0.5*5 = 2.5 -> between 0 and 1 */
    assert_float_equal(alpha_of(VSQ_ELEM_UINT, 4, VSQ_CALIB_PERCENTILE, 50, x, 6), 0.5f, 1e-6);
    for (int k = 0; k < 5; k++) {
        float a = alpha_of(VSQ_ELEM_UINT, 4, ms[k], 90, x, 6);
        assert_true(a > 0.0f && a <= 3.0f);
    }
    const float neg[3] = {-1.0f, -2.0f, -3.0f};
    for (int k = 0; k < 5; k++)
        assert_float_equal(alpha_of(VSQ_ELEM_UINT, 8, ms[k], 90, neg, 3), 0.0f, 0);
}

static void test_all_zero_and_constant(void **state) {
    (void)state;
    float z[37] = {0}, c[37];
    for (int i = 0; i < 37; i++) c[i] = (i & 1) ? 0.25f : -0.25f;
    for (int m = VSQ_CALIB_MAX; m <= VSQ_CALIB_OCTAV; m++) {
        for (int e = VSQ_ELEM_INT; e <= VSQ_ELEM_UINT; e++) {
            assert_float_equal(alpha_of(e, 4, m, 99, z, 37), 0.0f, 0);
            float a = alpha_of(e, 4, m, 99, c, 37);
            /* a constant magnitude is represented exactly by alpha = it */
            assert_true(a > 0.0f && a <= 0.25f);
            if (m != VSQ_CALIB_OCTAV) assert_float_equal(a, 0.25f, 1e-6);
        }
    }
}

static void test_errors(void **state) {
    (void)state;
    vsq_format f = fmt_of(VSQ_ELEM_INT, 4, VSQ_CALIB_MSE, 0);
    float x[5] = {1, 2, 3, 4, 5}, a;
    assert_int_equal(vsq_calib_alpha(&f, x, 0, &a), VSQ_EINVAL);
    assert_int_equal(vsq_calib_alpha(NULL, x, 5, &a), VSQ_EINVAL);
    assert_int_equal(vsq_calib_alpha(&f, NULL, 5, &a), VSQ_EINVAL);
    assert_int_equal(vsq_calib_alpha(&f, x, 5, NULL), VSQ_EINVAL);
    x[3] = NAN;
    assert_int_equal(vsq_calib_alpha(&f, x, 5, &a), VSQ_ENONFINITE);
    assert_non_null(strstr(vsq_last_error(), "x[3]"));
    x[3] = -INFINITY;
    assert_int_equal(vsq_calib_alpha(&f, x, 5, &a), VSQ_ENONFINITE);
    assert_non_null(strstr(vsq_last_error(), "x[3]"));
    x[3] = 4;
    f.bits = 9;
    assert_int_equal(vsq_calib_alpha(&f, x, 5, &a), VSQ_EINVAL);
    f = fmt_of(VSQ_ELEM_INT, 4, VSQ_CALIB_PERCENTILE, 0.0);
    assert_int_equal(vsq_calib_alpha(&f, x, 5, &a), VSQ_EINVAL);
    assert_null(vsq_calibrator_new(&f));
}

/* The internal scorer matches the library's quantizer (pt, fp32): the MSE
 * it optimises is the MSE the user gets. */
static void test_score_matches_quantizer(void **state) {
    (void)state;
    const size_t n = 4096;
    float *x = gauss_vec(n, 1.5f), *y = malloc(n * sizeof *y), *m = malloc(n * sizeof *m);
    assert_non_null(y);
    assert_non_null(m);
    for (size_t i = 0; i < n; i++) m[i] = fabsf(x[i]);
    calib_samples s = {m, NULL, n, 0};
    vsq_format f = fmt_of(VSQ_ELEM_INT, 4, VSQ_CALIB_MAX, 0);
    const float alphas[] = {1.0f, 2.5f, 3.7f};
    for (int k = 0; k < 3; k++) {
        vsq_qtensor q;
        assert_int_equal(vsq_quantize_with_alpha(&f, x, 1, n, 1, &alphas[k], &q), VSQ_OK);
        assert_int_equal(vsq_dequantize(&q, y), VSQ_OK);
        vsq_qtensor_free(&q);
        double e = 0.0;
        for (size_t i = 0; i < n; i++) e += (double)(x[i] - y[i]) * (x[i] - y[i]);
        double mine = calib_mse_score(&s, alphas[k], 7);
        assert_true(fabs(mine - e) <= 1e-4 * e);
        assert_true(fabs(mine / n - ref_mse(x, n, alphas[k], 7)) <= 1e-6 * mine / n);
    }
    free(x);
    free(y);
    free(m);
}

/* ---- static calibrator --------------------------------------------------- */

/* Batches of growing scale (the histogram must widen several times) give
 * the exact max and percentiles within a bin width of the direct answer;
 * mse/octav/entropy from the histogram land close to the direct ones. */
static void test_calibrator_batches(void **state) {
    (void)state;
    const size_t nb = 8, bs = 4000, n = nb * bs;
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t b = 0; b < nb; b++)
        for (size_t i = 0; i < bs; i++) x[b * bs + i] = (0.25f * (float)(b + 1)) * gauss();
    for (int m = VSQ_CALIB_MAX; m <= VSQ_CALIB_OCTAV; m++) {
        vsq_format f = fmt_of(VSQ_ELEM_INT, 4, m, 99.0);
        vsq_calibrator *c = vsq_calibrator_new(&f);
        assert_non_null(c);
        float a;
        assert_int_equal(vsq_calibrator_alpha(c, &a), VSQ_EINVAL); /* nothing seen */
        for (size_t b = 0; b < nb; b++)
            assert_int_equal(vsq_calibrator_observe(c, x + b * bs, bs), VSQ_OK);
        assert_int_equal(vsq_calibrator_alpha(c, &a), VSQ_OK);
        float direct = alpha_of(VSQ_ELEM_INT, 4, m, 99.0, x, n);
        float max = alpha_of(VSQ_ELEM_INT, 4, VSQ_CALIB_MAX, 0, x, n);
        float bin = 2.0f * max / CALIB_NBINS; /* range < 2 * max */
        if (m == VSQ_CALIB_MAX) assert_float_equal(a, max, 0);
        else if (m == VSQ_CALIB_PERCENTILE) assert_float_equal(a, direct, bin);
        else assert_true(fabsf(a - direct) <= 0.03f * direct + 2 * bin);
        vsq_calibrator_free(c);
    }
    free(x);
}

static void test_calibrator_edges(void **state) {
    (void)state;
    vsq_format f = fmt_of(VSQ_ELEM_UINT, 8, VSQ_CALIB_PERCENTILE, 50);
    vsq_calibrator *c = vsq_calibrator_new(&f);
    assert_non_null(c);
    float z[4] = {0, 0, -1, 0}, a = -1;
    assert_int_equal(vsq_calibrator_observe(c, z, 4), VSQ_OK);
    assert_int_equal(vsq_calibrator_alpha(c, &a), VSQ_OK);
    assert_float_equal(a, 0.0f, 0); /* all magnitudes zero */
    float bad[3] = {1, INFINITY, 2};
    assert_int_equal(vsq_calibrator_observe(c, bad, 3), VSQ_ENONFINITE);
    assert_non_null(strstr(vsq_last_error(), "x[1]"));
    /* The rejected batch left no trace: magnitudes are now {0,0,0,0,1,2,3,4}
     * (uint: -1 counts as 0), whose median lies in [0, 1]. */
    float v[4] = {4, 3, 2, 1};
    assert_int_equal(vsq_calibrator_observe(c, v, 4), VSQ_OK);
    assert_int_equal(vsq_calibrator_alpha(c, &a), VSQ_OK);
    assert_true(a >= 0.0f && a <= 1.0f + 4.0f / CALIB_NBINS);
    f.calib = VSQ_CALIB_MAX;
    vsq_calibrator_free(c);
    c = vsq_calibrator_new(&f);
    assert_int_equal(vsq_calibrator_observe(c, v, 4), VSQ_OK);
    assert_int_equal(vsq_calibrator_observe(c, bad, 1), VSQ_OK);
    assert_int_equal(vsq_calibrator_alpha(c, &a), VSQ_OK);
    assert_float_equal(a, 4.0f, 0);
    assert_int_equal(vsq_calibrator_observe(NULL, v, 4), VSQ_EINVAL);
    vsq_calibrator_free(c);
    vsq_calibrator_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_to_hundred),
        cmocka_unit_test(test_percentile_matches_sort),
        cmocka_unit_test(test_mse_octav_hand),
        cmocka_unit_test(test_octav_fixed_point),
        cmocka_unit_test(test_mse_is_minimal),
        cmocka_unit_test(test_octav_near_mse_gauss4),
        cmocka_unit_test(test_outlier),
        cmocka_unit_test(test_entropy_uniform),
        cmocka_unit_test(test_entropy_matches_naive),
        cmocka_unit_test(test_uint_ignores_negatives),
        cmocka_unit_test(test_all_zero_and_constant),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_score_matches_quantizer),
        cmocka_unit_test(test_calibrator_batches),
        cmocka_unit_test(test_calibrator_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
