/* test_hw_verilog.c - the generated vector MAC Verilog (paper Fig. 2b)
 * equals the C model (vsq_mac_dot x vsq_mac_scale_product) on random
 * vectors, simulated with Debian's iverilog. Skipped when iverilog is not
 * installed. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hw/hw.h"
#include "test_util.h"

static unsigned rng = 777u;
static int rand_code(int bits) {
    rng = rng * 1103515245u + 12345u;
    int span = 1 << bits;
    return (int)((rng >> 8) % (unsigned)span) - span / 2; /* full two's complement */
}
static unsigned rand_scale(int bits) {
    rng = rng * 1103515245u + 12345u;
    return bits ? (rng >> 8) % (1u << bits) : 1u;
}

/* {N'hX, ...} with lane V-1 first (lane i sits at [i*N +: N]). */
static void put_vec(FILE *f, const int16_t *x, int v, int bits) {
    fputc('{', f);
    for (int i = v - 1; i >= 0; i--)
        fprintf(f, "%d'h%x%s", bits, (unsigned)x[i] & ((1u << bits) - 1), i ? ", " : "");
    fputc('}', f);
}

/* Write a testbench with n random cases; returns 0 on success. */
static int write_tb(const char *path, const vsq_hw_cfg *c, int n) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    int v = c->v, ob = vsq_verilog_psum_bits(c);
    fprintf(f, "module tb;\n  reg [%d:0] w; reg [%d:0] a;\n", v * c->w_bits - 1, v * c->a_bits - 1);
    if (c->ws_bits) fprintf(f, "  reg [%d:0] sw;\n", c->ws_bits - 1);
    if (c->as_bits) fprintf(f, "  reg [%d:0] sa;\n", c->as_bits - 1);
    fprintf(f, "  wire signed [%d:0] psum;\n  integer errors = 0;\n  dut u(.w(w), .a(a)%s%s, "
               ".psum(psum));\n  initial begin\n", ob - 1, c->ws_bits ? ", .sw(sw)" : "",
            c->as_bits ? ", .sa(sa)" : "");
    int16_t w[64], a[64];
    for (int t = 0; t < n; t++) {
        for (int i = 0; i < v; i++) w[i] = (int16_t)rand_code(c->w_bits), a[i] = (int16_t)rand_code(c->a_bits);
        if (t == 0) /* extremes */
            for (int i = 0; i < v; i++) w[i] = (int16_t)-(1 << (c->w_bits - 1)), a[i] = w[i] * 0 - (1 << (c->a_bits - 1));
        unsigned sw = t == 0 && c->ws_bits ? (1u << c->ws_bits) - 1 : rand_scale(c->ws_bits);
        unsigned sa = t == 0 && c->as_bits ? (1u << c->as_bits) - 1 : rand_scale(c->as_bits);
        int shift;
        int64_t exp = (int64_t)vsq_mac_dot(w, a, (size_t)v) *
                      (int64_t)vsq_mac_scale_product(sw, sa, c->ws_bits, c->as_bits,
                                                     c->round_bits, &shift);
        fputs("    w = ", f), put_vec(f, w, v, c->w_bits), fputs("; a = ", f);
        put_vec(f, a, v, c->a_bits), fputs(";", f);
        if (c->ws_bits) fprintf(f, " sw = %u;", sw);
        if (c->as_bits) fprintf(f, " sa = %u;", sa);
        fprintf(f, "\n    #1 if (psum !== %s64'sd%lld) begin errors = errors + 1; "
                   "$display(\"case %d: got %%0d want %lld\", psum); end\n",
                exp < 0 ? "-" : "", (long long)(exp < 0 ? -exp : exp), t, (long long)exp);
    }
    fprintf(f, "    if (errors == 0) $display(\"PASS\"); else $display(\"FAIL %%0d\", errors);\n"
               "    $finish;\n  end\nendmodule\n");
    return fclose(f);
}

static void test_verilog_matches_c(void **state) {
    (void)state;
    if (system("command -v iverilog >/dev/null 2>&1 && command -v vvp >/dev/null 2>&1") != 0) {
        test_skip_program("iverilog not installed: the Verilog simulation check did not run");
    }
    char dir[] = "/tmp/vsq_test_vlog_XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *cfgs[] = {"4/4/4/4", "4/8/6/10", "8/8/-/-", "6/6/4/-", "3/8/-/6", "8/8/8/8"};
    const int rounds[] = {0, 4, 6};
    for (size_t i = 0; i < sizeof cfgs / sizeof *cfgs; i++) {
        for (int r = 0; r < 3; r++) {
            vsq_hw_cfg c;
            assert_int_equal(vsq_hw_cfg_parse(cfgs[i], r == 1 ? 8 : 16, rounds[r], &c), VSQ_OK);
            char *text = vsq_verilog_vmac(&c, "dut");
            assert_non_null(text);
            char path[128], tb[128], cmd[512];
            snprintf(path, sizeof path, "%s/dut.v", dir);
            snprintf(tb, sizeof tb, "%s/tb.v", dir);
            assert_int_equal(vsq_write_atomic(path, text, strlen(text)), VSQ_OK);
            free(text);
            assert_int_equal(write_tb(tb, &c, 200), 0);
            snprintf(cmd, sizeof cmd,
                     "cd %s && iverilog -g2005 -o sim dut.v tb.v 2>err.txt && vvp -n sim > out.txt"
                     " && grep -q '^PASS' out.txt",
                     dir);
            int rc = system(cmd);
            if (rc != 0) {
                snprintf(cmd, sizeof cmd, "cat %s/err.txt %s/out.txt | head -20", dir, dir);
                if (system(cmd)) {}
                print_message("Verilog mismatch for %s R=%d\n", cfgs[i], rounds[r]);
            }
            assert_int_equal(rc, 0);
        }
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_verilog_matches_c)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
