/* Fast kernels (src/kernels/) against the references: packed layouts round
 * trip, the fused activation quantizer equals vsq_quantize bit for bit, and
 * the packed GEMM/GEMV equals vsq_gemm_ref (int64 accumulators identical,
 * y identical for two-level, within fp32 rounding for single-level), and
 * the fused weight quantizer (fp32 -> packed) writes exactly the bytes of
 * its reference path, for every ISA variant this CPU can run (forced one
 * by one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/quantize_pack.h"
#include "vsq/kernels.h"
#include "vsq/vsq.h"

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}
static float frand(void) { return (float)(rnd() % 2000001) / 1000000.0f - 1.0f; }
static float gauss(void) {
    float s = 0;
    for (int i = 0; i < 6; i++) s += frand();
    return s * 0.7f;
}

static vsq_format F(const char *spec) {
    vsq_format f;
    assert_int_equal(vsq_format_parse(spec, &f), VSQ_OK);
    return f;
}

static float *rand_mat(size_t n, int outliers) {
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = gauss() * (outliers && rnd() % 37 == 0 ? 20.0f : 1.0f);
    return x;
}

/* Pairs (weights, activations) covering W8A8, W4A8, W4A4, W6A8, W3A8 and
 * intN/intNf/uintN, two-level sM and single-level fp32/fp16/e8m0. */
static const char *const pairs[][2] = {
    {"int8:v16:s8", "int8:v16:s10"},  {"int4:v16:s6", "int8:v16:s8"},
    {"int4:v16:s4", "int4:v16:s4"},   {"int6:v16:s6", "int8:v16:s10"},
    {"int8:v32:s6", "int8:v32:s8"},   {"int4:v32:s6", "int8:v32:s6"},
    {"int4:v64:s8", "int4:v64:s8"},   {"int6:v64:s4", "int8:v64:s10"},
    {"int3:v16:s6", "int8:v16:s8"},   {"int4f:v16:s6", "int8f:v16:s8"},
    {"int5:v32:s5", "uint8:v32:s8"},  {"int2:v16:s3", "int7:v16:s12"},
    {"int8:v16:s16", "int8:v16:s16"}, {"int8:v16:fp32", "int8:v16:fp32"},
    {"int4:v16:fp16", "int8:v16:fp16"}, {"int4:v32:fp32", "int4:v32:fp16"},
    {"int6:v64:fp16", "uint8:v64:fp32"}, {"int3:v32:e8m0", "int8:v32:e8m0"},
};
static const size_t n_pairs = sizeof pairs / sizeof pairs[0];

static int isa_list(int *out) {
    int n = 0;
    for (int i = 0; i <= VSQ_ISA_AVXVNNI; i++) /* every variant, avxvnni included */
        if (vsq_isa_available((vsq_isa)i)) out[n++] = i;
    return n;
}

static void test_pack_roundtrip(void **state) {
    (void)state;
    for (size_t p = 0; p < n_pairs; p++) {
        vsq_format f = F(pairs[p][0]);
        size_t n = 1 + rnd() % 9, k = 1 + rnd() % 200;
        float *x = rand_mat(n * k, 1);
        vsq_qtensor q;
        assert_int_equal(vsq_quantize(&f, x, n, k, n, &q), VSQ_OK);
        vsq_packed_w pw;
        assert_int_equal(vsq_pack_weights(&q, &pw), VSQ_OK);
        int16_t *codes = malloc(n * k * sizeof *codes);
        float *s = malloc(q.n_scale * sizeof *s), *y = malloc(n * k * sizeof *y),
              *yr = malloc(n * k * sizeof *yr);
        assert_int_equal(vsq_unpack_weights(&pw, codes, NULL, s), VSQ_OK);
        assert_memory_equal(codes, q.codes, n * k * sizeof *codes);
        if (q.sq) {
            uint16_t *sq = malloc(q.n_scale * sizeof *sq);
            assert_int_equal(vsq_unpack_weights(&pw, NULL, sq, NULL), VSQ_OK);
            assert_memory_equal(sq, q.sq, q.n_scale * sizeof *sq);
            free(sq);
        } else {
            assert_memory_equal(s, q.scale, q.n_scale * sizeof *s);
        }
        assert_int_equal(vsq_dequantize_packed(&pw, y), VSQ_OK);
        assert_int_equal(vsq_dequantize(&q, yr), VSQ_OK);
        for (size_t i = 0; i < n * k; i++) assert_true(fabsf(y[i] - yr[i]) <= 1e-6f * fabsf(yr[i]));
        /* fused fp32 -> packed equals quantize + pack */
        vsq_packed_w pf;
        assert_int_equal(vsq_quantize_pack_weights(&f, x, n, k, &pf), VSQ_OK);
        assert_int_equal(pf.panel_bytes, pw.panel_bytes);
        assert_memory_equal(pf.data, pw.data, pw.n_panels * pw.panel_bytes);
        assert_memory_equal(pf.gamma, pw.gamma, n * sizeof(float));
        vsq_packed_w_free(&pf);
        vsq_packed_w_free(&pw);
        vsq_qtensor_free(&q);
        free(codes), free(s), free(y), free(yr), free(x);
    }
}

/* Weights for the fused quantizer, by mode: 0 gaussian with outliers,
 * 1 huge (up to 3.3e38: fp16 scales overflow, e8m0 clamps at 2^127),
 * 2 tiny (subnormal; peaks of qmax * 2^-127 and 2^-126 hit the e8m0
 * boundaries), 3 rounding ties: multiples of 1/2 and their neighbours
 * with a peak of +-qmax, so x / s is n + 1/2 or one ulp off (including
 * 0.49999997), 4 zero vectors and rows, negative-only vectors (uintN peak
 * 0) and peak ties of opposite sign (intNf takes the first), 5 constant
 * vectors, 6 two-level ties: gamma = 1 and s / gamma = n + 1/2. */
static void qpack_vec(const vsq_format *f, float *xv, size_t len, int mode) {
    int qmax = vsq_format_qmax(f);
    long smc = f->scale == VSQ_SCALE_TWO_LEVEL ? (1L << f->scale_bits) - 1 : 1000;
    unsigned pick = rnd() % 4;
    size_t a = rnd() % len, b = rnd() % len;
    for (size_t i = 0; i < len; i++) {
        if (mode == 1) xv[i] *= 1e36f;
        if (mode == 2) xv[i] *= 1e-40f;
        if (mode == 3) {
            float h = (float)((int)(rnd() % (4u * (unsigned)qmax + 1)) - 2 * qmax) * 0.5f;
            unsigned u = rnd() % 4;
            xv[i] = u == 0 ? nextafterf(h, 1e9f) : u == 1 ? nextafterf(h, -1e9f) : h;
            if (rnd() % 8 == 0) xv[i] = rnd() % 2 ? 0.49999997f : -0.49999997f;
        }
        if (mode == 5) xv[i] = xv[0];
        if (mode == 6) xv[i] = 0.25f * (float)qmax * frand();
    }
    if (mode == 1 && pick == 0) xv[a] = rnd() % 2 ? 3.3e38f : -3.3e38f;
    if (mode == 2 && pick < 2) xv[a] = ldexpf((float)qmax, pick ? -127 : -126);
    if (mode == 3) xv[a] = rnd() % 2 ? (float)qmax : (float)-qmax;
    if (mode == 4 && pick == 0) memset(xv, 0, len * sizeof *xv);
    if (mode == 4 && pick == 1)
        for (size_t i = 0; i < len; i++) xv[i] = -fabsf(xv[i]) - 0.5f;
    if (mode == 4 && pick == 2) { /* |peak| twice, signs differ */
        xv[a] = 40.0f * (rnd() % 2 ? 1.0f : -1.0f);
        if (b != a) xv[b] = -xv[a];
    }
    if (mode == 6) /* peak (n + 1/2) * qmax, or the row's largest 2^M - 1 */
        xv[a] = pick == 0 ? (float)(smc * qmax)
                          : ((float)(rnd() % (unsigned long)smc) + 0.5f) * (float)qmax;
}

static float *qpack_data(const vsq_format *f, size_t n, size_t k, int mode) {
    float *x = rand_mat(n * k, 1);
    size_t v = (size_t)f->vec_len;
    long smc = f->scale == VSQ_SCALE_TWO_LEVEL ? (1L << f->scale_bits) - 1 : 1000;
    for (size_t r = 0; r < n; r++) {
        float *xr = x + r * k;
        for (size_t j = 0; j * v < k; j++)
            qpack_vec(f, xr + j * v, j * v + v <= k ? v : k - j * v, mode);
        if (mode == 4 && rnd() % 3 == 0) memset(xr, 0, k * sizeof *xr);
        if (mode == 1) xr[rnd() % k] = rnd() % 2 ? 3.3e38f : -3.3e38f;
        if (mode == 6) xr[rnd() % k] = (float)(smc * vsq_format_qmax(f)); /* gamma = 1 */
    }
    return x;
}

/* Fast path of vsq_quantize_pack_weights (AVX2) against its reference
 * (row quantizer + scalar pack): every byte, gamma, max_code, max_scale. */
static void check_qpack(const vsq_format *f, const float *x, size_t n, size_t k, const char *what) {
    vsq_packed_w ref, got;
    assert_int_equal(vsqk_quantize_pack_weights_ref(f, x, n, k, &ref), VSQ_OK);
    assert_int_equal(vsq_quantize_pack_weights(f, x, n, k, &got), VSQ_OK);
    size_t bytes = ref.n_panels * ref.panel_bytes;
    assert_int_equal(got.panel_bytes, ref.panel_bytes);
    assert_int_equal(got.n_panels, ref.n_panels);
    if (memcmp(got.data, ref.data, bytes) || got.max_code != ref.max_code ||
        got.max_scale != ref.max_scale)
        fprintf(stderr, "isa %s %s n %zu k %zu: max_code %d/%d max_scale %u/%u\n",
                vsq_isa_name(vsq_isa_active()), what, n, k, got.max_code,
                ref.max_code, got.max_scale, ref.max_scale);
    assert_memory_equal(got.data, ref.data, bytes);
    assert_memory_equal(got.gamma, ref.gamma, ref.n_panels * 4 * sizeof(float));
    assert_int_equal(got.max_code, ref.max_code);
    assert_int_equal(got.max_scale, ref.max_scale);
    vsq_packed_w_free(&ref);
    vsq_packed_w_free(&got);
}

static void test_quantize_pack_matches_ref(void **state) {
    (void)state;
    const char *specs[] = {"int4:v16:s6",   "int8:v32:s10",  "uint4:v16:s6",  "int4f:v32:s6",
                           "int3:v64:fp16", "int6:v16:fp32", "int4:v16:e8m0", "int2:v16:s3",
                           "int5:v32:s16",  "uint8:v64:s8",  "int8f:v16:fp16", "int7:v64:e8m0",
                           "int3f:v16:fp32", "uint2:v32:fp32", "int8:v16:s1",  "int4f:v64:e8m0",
                           "uint6:v16:fp16", "int2f:v32:s4",  "uint3:v64:s9",  "int8:v64:s8",
                           "int2:v16:e8m0",  "uint8:v16:s16"};
    const size_t ks[] = {1, 15, 16, 17, 33, 63, 64, 65, 100, 129, 192, 250, 300, 515, 4096};
    int isas[4], ni = isa_list(isas);
    for (int t = 0; t < ni; t++) {
        assert_int_equal(vsq_isa_force(isas[t]), VSQ_OK);
        for (size_t si = 0; si < sizeof specs / sizeof *specs; si++) {
            vsq_format f = F(specs[si]);
            for (int mode = 0; mode < 7; mode++) {
                size_t n = 1 + rnd() % 11, k = ks[rnd() % (sizeof ks / sizeof *ks)];
                if (k == 4096) n = 1 + n % 5;
                float *x = qpack_data(&f, n, k, mode);
                char what[64];
                snprintf(what, sizeof what, "%s mode %d", specs[si], mode);
                check_qpack(&f, x, n, k, what);
                free(x);
            }
        }
    }
    vsq_isa_force(-1);
}

/* A NaN or Inf anywhere: the error of vsq_check_finite (with the index)
 * from the fused weight and activation quantizers, nothing leaked. */
static void test_quantize_pack_nonfinite(void **state) {
    (void)state;
    int isas[4], ni = isa_list(isas);
    const char *specs[] = {"int4:v16:s6", "uint4:v32:fp16", "int4f:v64:fp32"};
    for (int t = 0; t < ni; t++) {
        assert_int_equal(vsq_isa_force(isas[t]), VSQ_OK);
        for (int rep = 0; rep < 6; rep++) {
            vsq_format f = F(specs[rep % 3]);
            size_t n = 1 + rnd() % 9, k = 1 + rnd() % 300, at = rnd() % (n * k);
            float *x = rand_mat(n * k, 0);
            float bad = rep % 2 ? NAN : -INFINITY;
            x[at] = rep == 3 ? -NAN : bad;
            vsq_packed_w w;
            assert_int_equal(vsq_quantize_pack_weights(&f, x, n, k, &w), VSQ_ENONFINITE);
            char msg[64];
            snprintf(msg, sizeof msg, "element %zu is", at);
            assert_non_null(strstr(vsq_last_error(), msg));
            vsq_packed_a a; /* the activation quantizer: same check, same message */
            memset(&a, 0, sizeof a);
            assert_int_equal(vsq_quantize_act(&f, x, n, k, &a), VSQ_ENONFINITE);
            assert_non_null(strstr(vsq_last_error(), msg));
            vsq_packed_a_free(&a);
            free(x);
        }
    }
    vsq_isa_force(-1);
}

static void test_quantize_act_matches_reference(void **state) {
    (void)state;
    int isas[4], ni = isa_list(isas);
    const char *specs[] = {"int8:v16:s10", "int8:v32:s8",  "int4:v16:s6", "int8:v64:fp32",
                           "int8:v16:fp16", "uint8:v16:s8", "int4f:v16:s4", "int6:v32:e8m0",
                           "int8f:v64:fp16", "int2:v16:e8m0", "uint4:v32:fp32", "int8:v16:s16",
                           "int8:v16:s6r" /* falls back to vsq_quantize */};
    for (int t = 0; t < ni; t++) {
        assert_int_equal(vsq_isa_force(isas[t]), VSQ_OK);
        vsq_packed_a a;
        memset(&a, 0, sizeof a);
        for (size_t si = 0; si < sizeof specs / sizeof *specs; si++) {
            for (int rep = 0; rep < 11; rep++) { /* reps 4..10: the data modes of qpack_data */
                vsq_format f = F(specs[si]);
                size_t m = rep == 0 ? 17 : 1 + rnd() % 6; /* rep 0: rows split over threads */
                size_t k = rep == 0 ? 4096 : rep == 1 ? (size_t)f.vec_len * (size_t)(1 + rnd() % 5) : 1 + rnd() % 300;
                float *x = rep < 4 ? rand_mat(m * k, 1) : qpack_data(&f, m, k, rep - 4);
                if (rep == 2) memset(x, 0, k * sizeof *x); /* an all-zero row */
                vsq_qtensor q;
                assert_int_equal(vsq_quantize(&f, x, m, k, m, &q), VSQ_OK);
                vsq_packed_a ref;
                assert_int_equal(vsq_pack_act(&q, &ref), VSQ_OK);
                assert_int_equal(vsq_quantize_act(&f, x, m, k, &a), VSQ_OK);
                if (memcmp(a.codes, ref.codes, m * ref.kp * 2)) fprintf(stderr, "isa %d spec %s rep %d m %zu k %zu\n", isas[t], specs[si], rep, m, k);
                assert_int_equal(a.kp, ref.kp);
                assert_memory_equal(a.codes, ref.codes, m * ref.kp * sizeof(int16_t));
                assert_memory_equal(a.scale, ref.scale, m * ref.n_vec * sizeof(double));
                assert_memory_equal(a.gamma, ref.gamma, m * sizeof(float));
                assert_int_equal(a.max_code, ref.max_code);
                assert_int_equal(a.max_scale, ref.max_scale);
                vsq_packed_a_free(&ref);
                vsq_qtensor_free(&q);
                free(x);
            }
        }
        vsq_packed_a_free(&a);
    }
    vsq_isa_force(-1);
}

/* Run the packed GEMM on every ISA and compare with vsq_gemm_ref. */
static void check_gemm(vsq_qtensor *qa, vsq_qtensor *qw) {
    size_t m = qa->rows, n = qw->rows;
    float *yr = malloc(m * n * sizeof *yr), *y = malloc(m * n * sizeof *y);
    int64_t *ar = malloc(m * n * sizeof *ar), *ac = malloc(m * n * sizeof *ac);
    assert_int_equal(vsq_gemm_ref(qa, qw, 0, yr, ar), VSQ_OK);
    vsq_packed_a pa;
    vsq_packed_w pw;
    assert_int_equal(vsq_pack_act(qa, &pa), VSQ_OK);
    assert_int_equal(vsq_pack_weights(qw, &pw), VSQ_OK);
    int two = qa->sq && qw->sq;
    int isas[4], ni = isa_list(isas);
    for (int t = 0; t < ni; t++) {
        assert_int_equal(vsq_isa_force(isas[t]), VSQ_OK);
        for (int threads = 1; threads <= 2; threads++) {
            memset(y, 0, m * n * sizeof *y);
            assert_int_equal(vsq_gemm_packed(&pa, &pw, y, ac, threads), VSQ_OK);
            if (two) {
                assert_memory_equal(ac, ar, m * n * sizeof *ac);
                assert_memory_equal(y, yr, m * n * sizeof *y);
            } else {
                /* sums of K/V double products: bound |y - yr| by a few fp32
                 * ulps of the sum of magnitudes (fp32 rounding of y). */
                for (size_t i = 0; i < m * n; i++) {
                    double tol = 4e-7 * fabs(yr[i]) + 1e-12;
                    if (fabs((double)y[i] - yr[i]) > tol) {
                        fprintf(stderr, "isa %s i=%zu y=%.9g ref=%.9g\n", vsq_isa_name(isas[t]), i,
                                y[i], yr[i]);
                        fail();
                    }
                }
            }
        }
    }
    vsq_isa_force(-1);
    vsq_packed_a_free(&pa);
    vsq_packed_w_free(&pw);
    free(yr), free(y), free(ar), free(ac);
}

static void test_gemm_matches_reference(void **state) {
    (void)state;
    const size_t ks[] = {1, 15, 16, 17, 63, 64, 65, 100, 129, 300};
    for (size_t p = 0; p < n_pairs; p++) {
        for (int rep = 0; rep < 6; rep++) {
            vsq_format fw = F(pairs[p][0]), fa = F(pairs[p][1]);
            size_t m = rep < 2 ? (size_t)(1 + rep) : (size_t)(1 + rnd() % 11), n = 1 + rnd() % 13;
            size_t k = ks[rnd() % (sizeof ks / sizeof *ks)];
            float *xw = rand_mat(n * k, 1), *xa = rand_mat(m * k, rep & 1);
            vsq_qtensor qw, qa;
            assert_int_equal(vsq_quantize(&fw, xw, n, k, n, &qw), VSQ_OK);
            assert_int_equal(vsq_quantize(&fa, xa, m, k, m, &qa), VSQ_OK);
            check_gemm(&qa, &qw);
            vsq_qtensor_free(&qw);
            vsq_qtensor_free(&qa);
            free(xw), free(xa);
        }
    }
}

/* Every code at its extreme and every integer scale at 2^M - 1: the
 * largest possible integer sums (incl. sums beyond 2^53, where the SIMD
 * kernels must hand over to the int64 reference path). */
static void test_gemm_worst_case(void **state) {
    (void)state;
    const char *const wc[][2] = {{"int8f:v16:s8", "int8f:v16:s10"},
                                 {"int8f:v64:s16", "uint8:v64:s16"},
                                 {"int4f:v32:s8", "int8f:v32:s8"},
                                 {"int8:v16:fp32", "uint8:v16:fp32"}};
    for (size_t p = 0; p < 4; p++) {
        vsq_format fw = F(wc[p][0]), fa = F(wc[p][1]);
        size_t m = 5, n = 6, k = 64 * 40 + 16;
        float *xw = rand_mat(n * k, 0), *xa = rand_mat(m * k, 0);
        vsq_qtensor qw, qa;
        assert_int_equal(vsq_quantize(&fw, xw, n, k, n, &qw), VSQ_OK);
        assert_int_equal(vsq_quantize(&fa, xa, m, k, m, &qa), VSQ_OK);
        int wmin = vsq_format_qmin(&fw), amin = vsq_format_qmin(&fa), amax = vsq_format_qmax(&fa);
        for (size_t i = 0; i < n * k; i++) qw.codes[i] = (int16_t)wmin;
        for (size_t i = 0; i < m * k; i++) qa.codes[i] = (int16_t)(amin ? amin : amax);
        if (qw.sq) {
            for (size_t i = 0; i < n * qw.n_vec; i++) qw.sq[i] = (uint16_t)((1u << fw.scale_bits) - 1);
            for (size_t i = 0; i < m * qa.n_vec; i++) qa.sq[i] = (uint16_t)((1u << fa.scale_bits) - 1);
        }
        check_gemm(&qa, &qw);
        vsq_qtensor_free(&qw);
        vsq_qtensor_free(&qa);
        free(xw), free(xa);
    }
}

static void test_linear_q(void **state) {
    (void)state;
    vsq_format fw = F("int4:v16:s6"), fa = F("int8:v16:s10");
    size_t m = 7, n = 10, k = 333;
    float *xw = rand_mat(n * k, 0), *xa = rand_mat(m * k, 1), *bias = rand_mat(n, 0);
    float *y = malloc(m * n * sizeof *y), *yr = malloc(m * n * sizeof *yr);
    vsq_packed_w pw;
    assert_int_equal(vsq_quantize_pack_weights(&fw, xw, n, k, &pw), VSQ_OK);
    vsq_qtensor qw, qa;
    assert_int_equal(vsq_quantize(&fw, xw, n, k, n, &qw), VSQ_OK);
    assert_int_equal(vsq_quantize(&fa, xa, m, k, m, &qa), VSQ_OK);
    assert_int_equal(vsq_gemm_ref(&qa, &qw, 0, yr, NULL), VSQ_OK);
    vsq_packed_a scratch;
    memset(&scratch, 0, sizeof scratch);
    for (int rep = 0; rep < 2; rep++) {
        assert_int_equal(vsq_linear_q(&pw, &fa, xa, m, bias, y, 0, &scratch), VSQ_OK);
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) assert_true(y[i * n + j] == yr[i * n + j] + bias[j]);
    }
    vsq_packed_a_free(&scratch);
    vsq_packed_w_free(&pw);
    vsq_qtensor_free(&qw);
    vsq_qtensor_free(&qa);
    free(xw), free(xa), free(bias), free(y), free(yr);
}

static void test_errors(void **state) {
    (void)state;
    float x[64 * 2];
    for (int i = 0; i < 128; i++) x[i] = frand();
    vsq_format f8 = F("int8:v8:s6"), fpc = F("int8:pc"), f16 = F("int8:v16:s6"),
               f32 = F("int8:v32:s6"), ffp = F("int8:v16:fp32");
    vsq_qtensor q;
    vsq_packed_w pw;
    vsq_packed_a pa;
    memset(&pa, 0, sizeof pa);
    assert_int_equal(vsq_quantize(&f8, x, 2, 64, 2, &q), VSQ_OK);
    assert_int_equal(vsq_pack_weights(&q, &pw), VSQ_EUNSUPPORTED);
    assert_true(strstr(vsq_last_error(), "V in") != NULL);
    vsq_qtensor_free(&q);
    assert_int_equal(vsq_quantize(&fpc, x, 2, 64, 2, &q), VSQ_OK);
    assert_int_equal(vsq_pack_weights(&q, &pw), VSQ_EUNSUPPORTED);
    vsq_qtensor_free(&q);
    assert_int_equal(vsq_quantize_pack_weights(&f16, x, 2, 64, &pw), VSQ_OK);
    float y[8];
    assert_int_equal(vsq_quantize_act(&f32, x, 1, 64, &pa), VSQ_OK);
    assert_int_equal(vsq_gemm_packed(&pa, &pw, y, NULL, 1), VSQ_EINVAL); /* V differs */
    assert_int_equal(vsq_quantize_act(&ffp, x, 1, 64, &pa), VSQ_OK);
    assert_int_equal(vsq_gemm_packed(&pa, &pw, y, NULL, 1), VSQ_EUNSUPPORTED); /* mixed */
    assert_int_equal(vsq_quantize_act(&f16, x, 1, 60, &pa), VSQ_OK);
    assert_int_equal(vsq_gemm_packed(&pa, &pw, y, NULL, 1), VSQ_EINVAL); /* K differs */
    assert_int_equal(vsq_gemm_packed(NULL, &pw, y, NULL, 1), VSQ_EINVAL);
    float bad[64] = {0};
    bad[3] = NAN;
    assert_int_equal(vsq_quantize_act(&f16, bad, 1, 64, &pa), VSQ_ENONFINITE);
    assert_int_equal(vsq_isa_force(7), VSQ_EUNSUPPORTED);
    vsq_packed_a_free(&pa);
    vsq_packed_w_free(&pw);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_roundtrip),
        cmocka_unit_test(test_quantize_pack_matches_ref),
        cmocka_unit_test(test_quantize_pack_nonfinite),
        cmocka_unit_test(test_quantize_act_matches_reference),
        cmocka_unit_test(test_gemm_matches_reference),
        cmocka_unit_test(test_gemm_worst_case),
        cmocka_unit_test(test_linear_q),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
