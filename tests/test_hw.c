/* test_hw.c - VS-Quant PE model and hardware cost model (paper 5-6):
 * the PE gives the library GEMM's integers, its accumulator never
 * overflows on worst-case inputs, scale-product rounding is exact, the PPU
 * requantizes exactly, cost is monotone in every bit-width, 8/8/-/- = 1,
 * and the DSE reads results files and finds Pareto points. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hw/hw.h"

static unsigned rng = 12345u;
static double urand(void) {
    rng = rng * 1103515245u + 12345u;
    return ((rng >> 8) & 0xFFFFFF) / 16777216.0;
}

static void fill(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double u = urand() - 0.5;
        x[i] = (float)(u * (urand() < 0.05 ? 10.0 : 1.0)); /* outliers */
    }
}

/* PE model == vsq_gemm_ref on random two-level operands, K % V != 0. */
static void test_pe_matches_gemm_ref(void **state) {
    (void)state;
    const char *cfgs[] = {"4/4/4/4", "4/8/6/10", "8/8/-/-", "6/6/4/-", "3/8/-/6", "8/8/8/8"};
    const int rounds[] = {0, 4, 6};
    size_t m = 5, n = 7, k = 100;
    float *xa = malloc(m * k * 4), *xw = malloc(n * k * 4), *y = malloc(m * n * 4),
          *yr = malloc(m * n * 4);
    int64_t *acc = malloc(m * n * 8), *ref = malloc(m * n * 8);
    for (size_t c = 0; c < sizeof cfgs / sizeof *cfgs; c++) {
        for (int r = 0; r < 3; r++) {
            vsq_layer_cfg lc;
            assert_int_equal(vsq_layer_cfg_parse(cfgs[c], 16, &lc), VSQ_OK);
            fill(xa, m * k);
            fill(xw, n * k);
            vsq_qtensor qa = {0}, qw = {0};
            assert_int_equal(vsq_quantize(&lc.a, xa, m, k, 1, &qa), VSQ_OK);
            assert_int_equal(vsq_quantize(&lc.w, xw, n, k, n, &qw), VSQ_OK);
            vsq_pe_opts po = {0, rounds[r], 0, 0, 0, 0, 0};
            assert_int_equal(vsq_pe_gemm(&qa, &qw, &po, acc, y), VSQ_OK);
            assert_int_equal(vsq_gemm_ref(&qa, &qw, rounds[r], yr, ref), VSQ_OK);
            assert_int_equal(po.overflows, 0);
            for (size_t i = 0; i < m * n; i++) {
                assert_true(acc[i] == ref[i]);
                assert_true(y[i] == yr[i]);
            }
            vsq_qtensor_free(&qa);
            vsq_qtensor_free(&qw);
        }
    }
    free(xa), free(xw), free(y), free(yr), free(acc), free(ref);
}

/* A two-level operand with every code at `code` and every scale at max. */
static void extreme(vsq_qtensor *q, const vsq_format *f, size_t rows, size_t k, int code,
                    float *gamma, uint16_t *sq, int16_t *codes) {
    memset(q, 0, sizeof *q);
    q->fmt = *f;
    q->rows = rows, q->cols = k, q->channels = 1, q->vec_len = (size_t)f->vec_len;
    q->n_vec = (k + q->vec_len - 1) / q->vec_len;
    for (size_t i = 0; i < rows * k; i++) codes[i] = (int16_t)code;
    for (size_t i = 0; i < rows * q->n_vec; i++) sq[i] = (uint16_t)((1u << f->scale_bits) - 1);
    gamma[0] = 1.0f;
    q->codes = codes, q->sq = sq, q->gamma = gamma, q->n_gamma = 1;
}

/* Worst case: all codes at the extremes, all scales at max, long K. The
 * chosen width holds it exactly; one bit less overflows (tight). */
static void test_acc_overflow_free(void **state) {
    (void)state;
    const char *specs[][2] = {{"int4:v16:s4", "int4:v16:s4"},
                              {"int4:v16:s6", "int8:v16:s10"},
                              {"int4f:v16:s4", "int4f:v16:s4"},
                              {"int8:v16:s10", "int8:v16:s10"},
                              {"int3:v8:s3", "uint8:v8:s6"}};
    const int rounds[] = {0, 4, 6};
    size_t k = 4096 + 7;
    int16_t *cw = malloc(k * 2), *ca = malloc(k * 2);
    uint16_t *sw = malloc(k * 2), *sa = malloc(k * 2);
    float gw, ga, y;
    for (size_t s = 0; s < sizeof specs / sizeof *specs; s++) {
        vsq_format wf, af;
        assert_int_equal(vsq_format_parse(specs[s][0], &wf), VSQ_OK);
        assert_int_equal(vsq_format_parse(specs[s][1], &af), VSQ_OK);
        for (int r = 0; r < 3; r++) {
            for (int sign = 0; sign < 2; sign++) {
                /* same-sign extremes give the largest, opposite the most negative */
                int w = sign ? vsq_format_qmin(&wf) : vsq_format_qmax(&wf);
                int a = vsq_format_qmin(&af) < 0 ? vsq_format_qmin(&af) : vsq_format_qmax(&af);
                vsq_qtensor qw, qa;
                extreme(&qw, &wf, 1, k, w, &gw, sw, cw);
                extreme(&qa, &af, 1, k, a, &ga, sa, ca);
                int bits = vsq_pe_acc_bits(&wf, &af, wf.vec_len, k, rounds[r]);
                int64_t acc, ref;
                vsq_pe_opts po = {bits, rounds[r], 0, 0, 0, 0, 0};
                assert_int_equal(vsq_pe_gemm(&qa, &qw, &po, &acc, &y), VSQ_OK);
                assert_int_equal(po.overflows, 0);
                float yr;
                assert_int_equal(vsq_gemm_ref(&qa, &qw, rounds[r], &yr, &ref), VSQ_OK);
                assert_true(acc == ref);
                /* within the paper's 2N + log2 V + 2M + log2(K/V) when unrounded */
                if (rounds[r] == 0)
                    assert_true(bits <= vsq_mac_acc_bits(wf.bits, af.bits, wf.scale_bits,
                                                         af.scale_bits, (size_t)wf.vec_len, k) + 1);
                vsq_pe_opts tight = {bits - 1, rounds[r], 1, 0, 0, 0, 0};
                assert_int_equal(vsq_pe_gemm(&qa, &qw, &tight, &acc, &y), VSQ_OK);
                if (sign == 0 || a > 0) assert_true(tight.overflows > 0 || acc != ref);
            }
        }
    }
    free(cw), free(ca), free(sw), free(sa);
}

/* Scale product rounding (Fig. 2b) on hand-computed cases. */
static void test_scale_product_rounding(void **state) {
    (void)state;
    int sh;
    assert_int_equal(vsq_mac_scale_product(15, 15, 4, 4, 0, &sh), 225);
    assert_int_equal(sh, 0);
    assert_int_equal(vsq_mac_scale_product(15, 15, 4, 4, 4, &sh), 14); /* 225/16 = 14.06 */
    assert_int_equal(sh, 4);
    assert_int_equal(vsq_mac_scale_product(1, 8, 4, 4, 4, &sh), 1);    /* 0.5: tie away */
    assert_int_equal(vsq_mac_scale_product(1, 7, 4, 4, 4, &sh), 0);    /* 0.4375 -> gated */
    assert_int_equal(vsq_mac_scale_product(3, 5, 4, 4, 6, &sh), 4);    /* 15/4 = 3.75 */
    assert_int_equal(vsq_mac_scale_product(1023, 1023, 10, 10, 4, &sh), 16); /* reaches 2^R */
    assert_int_equal(vsq_mac_scale_product(9, 9, 4, 4, 8, &sh), 81);   /* R >= Mw+Ma: none */
    /* the cost model's gating estimate counts exactly the zero products */
    vsq_hw_cfg c = {4, 4, 4, 4, 16, 4};
    long zero = 0;
    for (unsigned a = 1; a < 16; a++)
        for (unsigned b = 1; b < 16; b++) zero += vsq_mac_scale_product(a, b, 4, 4, 4, &sh) == 0;
    assert_true(fabs(vsq_hw_gate_estimate(&c) - zero / 225.0) < 1e-12);
}

/* PPU requantization with integer ops equals exact round(x*qmax/amax). */
static void test_ppu_requant(void **state) {
    (void)state;
    int64_t x[16];
    int16_t q[16];
    for (int t = 0; t < 2000; t++) {
        int64_t range = (int64_t)1 << (1 + t % 39);
        for (int i = 0; i < 16; i++) x[i] = (int64_t)((urand() * 2 - 1) * (double)range);
        if (t % 7 == 0) x[3] = range / 2, x[5] = -range;  /* ties */
        vsq_ppu_cfg cfg = {4 + t % 5, 6, 1u << 16, 0};
        uint32_t sq;
        int64_t amax;
        assert_int_equal(vsq_ppu_requant(&cfg, x, 16, q, &sq, &amax), VSQ_OK);
        long qmax = (1L << (cfg.bits - 1)) - 1;
        for (int i = 0; i < 16; i++) {
            if (amax == 0) { assert_int_equal(q[i], 0); continue; }
            /* exact rational rounding, ties away: floor((2|x|q + a) / 2a) */
            unsigned __int128 num = (unsigned __int128)(uint64_t)llabs(x[i]) * 2 * qmax + amax;
            long e = (long)(num / (2 * (unsigned __int128)amax));
            assert_int_equal(q[i], x[i] < 0 ? -e : e);
        }
        if (amax) {
            double s = (double)amax / qmax;  /* gamma = 1 accumulator unit */
            assert_true(sq == (uint32_t)fmin(63, floor(s + 0.5)) || fabs(s - floor(s) - 0.5) < 1e-9);
        }
    }
    vsq_ppu_cfg bad = {1, 0, 0, 0};
    assert_int_equal(vsq_ppu_requant(&bad, x, 16, q, NULL, NULL), VSQ_EINVAL);
}

/* More bits never cheaper: each of W, A, ws, as, R, for several V. */
static void test_cost_monotonic(void **state) {
    (void)state;
    vsq_hw_arch arch;
    vsq_hw_arch_default(&arch);
    const int vs[] = {4, 16, 32};
    for (int gate = 0; gate < 2; gate++) {
        arch.gate_frac = gate ? -1.0 : 0.0;
        for (int vi = 0; vi < 3; vi++) {
            for (int field = 0; field < 5; field++) {
                for (int base = 0; base < 40; base++) {
                    vsq_hw_cfg c = {2 + base % 7, 2 + (base / 7) % 7, (base * 3) % 11,
                                    (base * 5) % 11, vs[vi], 0};
                    vsq_hw_cost lo, hi;
                    int top = field < 2 ? 8 : 10;
                    int *f = field == 0 ? &c.w_bits : field == 1 ? &c.a_bits
                             : field == 2 ? &c.ws_bits : field == 3 ? &c.as_bits : &c.round_bits;
                    if (field == 4) { /* R = 1..Mw+Ma */
                        c.ws_bits = 1 + c.ws_bits % 8, c.as_bits = 1 + c.as_bits % 8;
                        top = c.ws_bits + c.as_bits;
                        *f = 1;
                    }
                    assert_int_equal(vsq_hw_cost_abs(&c, &arch, &lo), VSQ_OK);
                    for (; *f < top;) {
                        (*f)++;
                        assert_int_equal(vsq_hw_cost_abs(&c, &arch, &hi), VSQ_OK);
                        assert_true(hi.area_total >= lo.area_total - 1e-9);
                        assert_true(hi.energy_total >= lo.energy_total - 1e-12);
                        lo = hi;
                    }
                }
            }
        }
    }
    /* per-element parts do not depend on V */
    vsq_hw_cfg a = {4, 8, 6, 10, 8, 0}, b = a;
    b.v = 32;
    vsq_hw_cost ca, cb;
    vsq_hw_cost_abs(&a, &arch, &ca);
    vsq_hw_cost_abs(&b, &arch, &cb);
    assert_true(fabs(ca.energy[HW_MULT] - cb.energy[HW_MULT]) < 1e-15);
}

/* Relative costs are the configuration's absolute cost over the absolute
 * cost of 8/8/-/- with the same V (paper 6 normalises per V). */
static void test_relative_to_same_v_baseline(void **state) {
    (void)state;
    vsq_hw_arch arch;
    vsq_hw_arch_default(&arch);
    const char *cfgs[] = {"4/4/4/4", "4/8/6/10", "6/6/-/-"};
    for (int v = 1; v <= 64; v *= 2)
        for (int i = 0; i < 3; i++) {
            vsq_hw_cfg c, b;
            vsq_hw_cost rel, abs_c, abs_b;
            assert_int_equal(vsq_hw_cfg_parse(cfgs[i], v, 0, &c), VSQ_OK);
            assert_int_equal(vsq_hw_cfg_parse("8/8/-/-", v, 0, &b), VSQ_OK);
            assert_int_equal(vsq_hw_cost_eval(&c, &arch, &rel), VSQ_OK);
            assert_int_equal(vsq_hw_cost_abs(&c, &arch, &abs_c), VSQ_OK);
            assert_int_equal(vsq_hw_cost_abs(&b, &arch, &abs_b), VSQ_OK);
            assert_true(fabs(rel.area_rel - abs_c.area_total / abs_b.area_total) < 1e-12);
            assert_true(fabs(rel.energy_rel - abs_c.energy_total / abs_b.energy_total) < 1e-12);
            assert_true(fabs(rel.perf_per_area_rel * rel.area_rel - 1.0) < 1e-12);
        }
    vsq_hw_cfg c;
    vsq_hw_cost k4, k48;
    vsq_hw_cfg_parse("4/4/4/4", 16, 0, &c);
    vsq_hw_cost_eval(&c, &arch, &k4);
    vsq_hw_cfg_parse("4/8/6/10", 16, 0, &c);
    vsq_hw_cost_eval(&c, &arch, &k48);
    assert_true(k4.area_rel < 1 && k4.energy_rel < 1 && k48.area_rel < 1);
}

static void test_cfg_parse_errors(void **state) {
    (void)state;
    vsq_hw_cfg c;
    const char *bad[] = {"", "8/8/-", "8/8/-/-/", "x/8/-/-", "1/8/-/-", "8/8/0/-", "8/8/-/17",
                         "8//-/-", "8/8/--/-", "99999/8/-/-"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(vsq_hw_cfg_parse(bad[i], 16, 0, &c), VSQ_EINVAL);
    assert_int_equal(vsq_hw_cfg_parse(NULL, 16, 0, &c), VSQ_EINVAL);
    assert_int_equal(vsq_hw_cfg_parse("4/4U/4/4", 16, 0, &c), VSQ_OK);
    assert_int_equal(vsq_hw_cfg_gran(&c), VSQ_HW_PVAW);
    assert_int_equal(vsq_hw_cfg_parse("8/8/-/-", 0, 0, &c), VSQ_EINVAL);
}

static char tmpdir[64];

static const char *tmpfile_with(const char *name, const char *text) {
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Synthetic sweep results (CSV and JSON) -> bands and Pareto points. */
static void test_dse(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vsq_test_hw_XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    vsq_dse_set s = {0};
    const char *csv = tmpfile_with("r.csv", "cfg,top1,model\n8/8/-/-,75.9,m\n4/4/4/4,75.0,m\n"
                                            "6/8/6/-,75.8,m\n8/8/8/8,75.8,m\n4/4/-/-,60,m\n"
                                            "3/3/-/-,nan,m\n");
    assert_int_equal(vsq_dse_load(csv, &s), VSQ_OK);
    assert_int_equal(s.n, 5); /* nan skipped */
    const char *js = tmpfile_with("r.json", "[{\"cfg\":\"4/8/6/10\",\"top1\":75.7,\"model\":\"m\"}]");
    assert_int_equal(vsq_dse_load(js, &s), VSQ_OK);
    assert_int_equal(s.n, 6);
    vsq_hw_arch arch;
    vsq_hw_arch_default(&arch);
    for (size_t i = 0; i < s.n; i++) {
        vsq_hw_cfg c;
        assert_int_equal(vsq_hw_cfg_parse(s.p[i].cfg, 16, 0, &c), VSQ_OK);
        assert_int_equal(vsq_hw_cost_eval(&c, &arch, &s.p[i].cost), VSQ_OK);
    }
    double edges[] = {0.5, 2.0};
    vsq_dse_bands(&s, 76.0, edges, 2, 1);
    vsq_dse_pareto(&s);
    assert_int_equal(s.p[4].band, -1);          /* 4/4/-/- far below */
    assert_int_equal(s.p[3].band, 0);
    assert_int_equal(s.p[3].pareto, 0);         /* 8/8/8/8 dominated by 6/8/6/- */
    assert_int_equal(s.p[2].pareto, 1);
    char svg[128];
    snprintf(svg, sizeof svg, "%s/dse.svg", tmpdir);
    assert_int_equal(vsq_svg_dse(svg, &s, edges, 2, 76.0, 1, "test <&>"), VSQ_OK);
    /* a complete SVG document with the title escaped, one marker per point
     * inside a band plus one per legend entry, and every Pareto point named */
    FILE *fp = fopen(svg, "rb");
    assert_non_null(fp);
    char doc[65536];
    size_t len = fread(doc, 1, sizeof doc - 1, fp);
    fclose(fp);
    doc[len] = '\0';
    assert_true(!strncmp(doc, "<svg ", 5));
    const char *end = strstr(doc, "</svg>\n");
    assert_non_null(end);
    assert_true(end + 7 == doc + len);
    assert_non_null(strstr(doc, "test &lt;&amp;&gt;"));
    assert_null(strstr(doc, "test <&>"));
    int markers = 0;
    for (const char *p = doc; (p = strstr(p, "stroke-width=\"1.6\"/>")); p++) markers++;
    int in_band = 0;
    for (size_t i = 0; i < s.n; i++) in_band += s.p[i].band >= 0;
    assert_true(in_band >= 3 && in_band < (int)s.n); /* 4/4/-/- is below every band */
    assert_int_equal(markers, in_band + 2);
    for (size_t i = 0; i < s.n; i++) {
        char label[64];
        snprintf(label, sizeof label, ">%s</text>", s.p[i].cfg);
        assert_true((strstr(doc, label) != NULL) == (s.p[i].band >= 0 && s.p[i].pareto));
    }
    vsq_dse_free(&s);
    /* malformed inputs fail cleanly */
    const char *bad[] = {"cfg,acc\n8/8/-/-,1\n", "cfg,top1\n8/8/-/-\n", "cfg,top1\nzz,1\n",
                         "cfg,top1\n8/8/-/-,abc\n", "[{\"cfg\":\"8/8/-/-\"}]", "[1,2]", "{",
                         ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        vsq_dse_set t = {0};
        assert_int_not_equal(vsq_dse_load(tmpfile_with("bad", bad[i]), &t), VSQ_OK);
        assert_true(strlen(vsq_last_error()) > 0);
        vsq_dse_free(&t);
    }
    vsq_dse_set t = {0};
    assert_int_equal(vsq_dse_load("/nonexistent/x.csv", &t), VSQ_EIO);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pe_matches_gemm_ref), cmocka_unit_test(test_acc_overflow_free),
        cmocka_unit_test(test_scale_product_rounding), cmocka_unit_test(test_ppu_requant),
        cmocka_unit_test(test_cost_monotonic),      cmocka_unit_test(test_relative_to_same_v_baseline),
        cmocka_unit_test(test_cfg_parse_errors),    cmocka_unit_test(test_dse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
