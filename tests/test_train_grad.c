/* Training engine: every layer's backward pass against central finite
 * differences of its forward pass, the softmax cross-entropy gradient, a
 * composite network, the STE factors of the QAT fake-quantizer on hand
 * cases, BN folding and the checkpoint round trip.
 *
 * Finite differences: L(theta) = sum_i y_i r_i with fixed random r (the
 * backward pass then starts from dy = r), evaluated in double from the
 * float forward pass. With step h = 5e-3 the central difference has
 * truncation error O(h^2 |L'''|) ~ 1e-5 for these smooth layers and a
 * rounding error of about n * 2^-24 * |y| / h ~ 1e-4 for the n <= 500
 * outputs here, so |numeric - analytic| <= 2e-3 + 1e-2 |analytic| leaves a
 * margin of 10x while a wrong index or a missing term (errors of O(1))
 * fails. Inputs stay >= 0.05 away from the kinks of ReLU/ReLU6/max pool. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "train/train.h"

#define H 5e-3
/* step of check_gradients: the composite network has kinks we cannot keep
 * away from (ReLU after BN) but only 9 outputs, so a smaller step crosses
 * fewer kinks at a rounding error still far below the tolerance */
static double fd_step = H;

typedef struct {
    tr_net net;
    int n;
    float *x, *r;
    size_t in_len, out_len;
} fd_case;

/* Values away from 0 and from 6 (the kinks), spaced so no two values of
 * a pooling window are within 2H of each other. */
static void fill_away_from_kinks(test_rng *g, float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double v;
        do v = 2.5 * test_gauss(g);
        while (fabs(v) < 0.05 || fabs(v - 6) < 0.05);
        x[i] = (float)v;
    }
}

static double loss_of(fd_case *c) {
    const float *y;
    assert_int_equal(tr_net_forward(&c->net, c->x, c->n, &y), VSQ_OK);
    double l = 0;
    for (size_t i = 0; i < c->out_len; i++) l += (double)y[i] * c->r[i];
    return l;
}

static void setup_case(fd_case *c, const tr_spec *s, int ns, int h, int w, int ch, int n, int train) {
    assert_int_equal(tr_net_build(&c->net, "t", h, w, ch, s, ns, n, 7), VSQ_OK);
    test_rng g = {12345};
    c->n = n;
    c->in_len = (size_t)n * h * w * ch;
    c->out_len = (size_t)n * c->net.n_classes;
    c->x = malloc(sizeof(float) * c->in_len);
    c->r = malloc(sizeof(float) * c->out_len);
    fill_away_from_kinks(&g, c->x, c->in_len);
    for (size_t i = 0; i < c->out_len; i++) c->r[i] = (float)test_gauss(&g);
    /* BN parameters away from their 1/0 init so gamma and beta matter */
    for (int i = 0; i < c->net.n; i++) {
        tr_layer *l = &c->net.l[i];
        if (l->op != TR_BN) continue;
        for (int j = 0; j < l->ic; j++) {
            c->net.params[l->w_off + j] = (float)(1 + 0.3 * test_gauss(&g));
            c->net.params[l->b_off + j] = (float)(0.3 * test_gauss(&g));
            l->rmean[j] = (float)(0.2 * test_gauss(&g));
            l->rvar[j] = (float)(0.5 + test_uniform(&g));
        }
    }
    c->net.training = train;
}

static void free_case(fd_case *c) {
    tr_net_free(&c->net);
    free(c->x), free(c->r);
}

static void expect_close(double num, double ana, const char *what, size_t idx) {
    if (fabs(num - ana) > 2e-3 + 1e-2 * fabs(ana))
        fail_msg("%s[%zu]: finite difference %.6g, backward %.6g", what, idx, num, ana);
}

/* Up to `max_checks` evenly spread entries of the input and of every
 * parameter are perturbed. */
static void check_gradients(fd_case *c) {
    loss_of(c);
    tr_net_backward(&c->net, c->r, c->n);
    float *gin = malloc(sizeof(float) * c->in_len), *gp = malloc(sizeof(float) * (c->net.n_params + 1));
    memcpy(gin, c->net.dact[0], sizeof(float) * c->in_len);
    memcpy(gp, c->net.grads, sizeof(float) * c->net.n_params);
    size_t step = c->in_len / 60 + 1;
    for (size_t i = 0; i < c->in_len; i += step) {
        float x0 = c->x[i];
        c->x[i] = x0 + (float)fd_step;
        double lp = loss_of(c);
        c->x[i] = x0 - (float)fd_step;
        double lm = loss_of(c);
        c->x[i] = x0;
        expect_close((lp - lm) / (2 * fd_step), gin[i], "input", i);
    }
    step = c->net.n_params / 80 + 1;
    for (size_t j = 0; j < c->net.n_params; j += step) {
        float p0 = c->net.params[j];
        c->net.params[j] = p0 + (float)fd_step;
        double lp = loss_of(c);
        c->net.params[j] = p0 - (float)fd_step;
        double lm = loss_of(c);
        c->net.params[j] = p0;
        expect_close((lp - lm) / (2 * fd_step), gp[j], "param", j);
    }
    free(gin), free(gp);
}

static void run_fd(const tr_spec *s, int ns, int h, int w, int ch, int n, int train) {
    fd_case c;
    setup_case(&c, s, ns, h, w, ch, n, train);
    check_gradients(&c);
    free_case(&c);
}

static void test_conv_same(void **st) {
    (void)st;
    tr_spec s[] = {{TR_CONV, 4, 3, 1, 1}};
    run_fd(s, 1, 5, 6, 3, 2, 1);
}
static void test_conv_strided(void **st) {
    (void)st;
    tr_spec a[] = {{TR_CONV, 3, 3, 2, 0}};
    run_fd(a, 1, 7, 6, 2, 2, 1);
    tr_spec b[] = {{TR_CONV, 3, 2, 2, 1}};
    run_fd(b, 1, 5, 5, 3, 2, 1);
    tr_spec p[] = {{TR_CONV, 5, 1, 1, 0}}; /* pointwise: no im2col */
    run_fd(p, 1, 3, 4, 6, 2, 1);
}
static void test_dwconv(void **st) {
    (void)st;
    tr_spec a[] = {{TR_DWCONV, 0, 3, 1, 1}};
    run_fd(a, 1, 5, 4, 3, 2, 1);
    tr_spec b[] = {{TR_DWCONV, 0, 3, 2, 1}};
    run_fd(b, 1, 6, 7, 4, 2, 1);
}
static void test_dense(void **st) {
    (void)st;
    tr_spec s[] = {{TR_DENSE, 5, 0, 0, 0}};
    run_fd(s, 1, 2, 2, 3, 3, 1);
}
static void test_bn_train_and_eval(void **st) {
    (void)st;
    tr_spec s[] = {{TR_BN, 0, 0, 0, 0}};
    run_fd(s, 1, 3, 3, 4, 3, 1);
    run_fd(s, 1, 3, 3, 4, 3, 0);
}
static void test_activations(void **st) {
    (void)st;
    tr_spec a[] = {{TR_RELU, 0, 0, 0, 0}};
    run_fd(a, 1, 4, 4, 3, 2, 1);
    tr_spec b[] = {{TR_RELU6, 0, 0, 0, 0}};
    run_fd(b, 1, 4, 4, 3, 2, 1);
}
static void test_pooling(void **st) {
    (void)st;
    tr_spec a[] = {{TR_MAXPOOL, 0, 2, 2, 0}};
    run_fd(a, 1, 4, 6, 3, 2, 1);
    tr_spec b[] = {{TR_AVGPOOL, 0, 3, 2, 0}};
    run_fd(b, 1, 7, 5, 2, 2, 1);
    tr_spec c[] = {{TR_GAP, 0, 0, 0, 0}};
    run_fd(c, 1, 3, 4, 5, 2, 1);
}

/* conv-BN-ReLU-maxpool-dw-BN-ReLU6-conv1x1-GAP-dense, 2 threads. */
static void test_composite(void **st) {
    (void)st;
    omp_set_num_threads(2);
    tr_spec s[] = {{TR_CONV, 4, 3, 1, 1}, {TR_BN, 0, 0, 0, 0}, {TR_RELU, 0, 0, 0, 0},
                   {TR_MAXPOOL, 0, 2, 2, 0}, {TR_DWCONV, 0, 3, 2, 1}, {TR_BN, 0, 0, 0, 0},
                   {TR_RELU6, 0, 0, 0, 0}, {TR_CONV, 6, 1, 1, 0}, {TR_GAP, 0, 0, 0, 0},
                   {TR_DENSE, 3, 0, 0, 0}};
    fd_step = 1e-3;
    run_fd(s, 10, 8, 8, 2, 3, 1);
    fd_step = H;
}

/* d/dz of mean softmax cross-entropy against finite differences. */
static void test_softmax_xent(void **st) {
    (void)st;
    test_rng g = {99};
    float z[3 * 5], d[3 * 5];
    uint8_t lab[3] = {0, 4, 2};
    for (int i = 0; i < 15; i++) z[i] = (float)(2 * test_gauss(&g));
    tr_softmax_xent(z, lab, 3, 5, d, NULL);
    for (int i = 0; i < 15; i++) {
        float z0 = z[i];
        z[i] = z0 + (float)H;
        double lp = tr_softmax_xent(z, lab, 3, 5, NULL, NULL);
        z[i] = z0 - (float)H;
        double lm = tr_softmax_xent(z, lab, 3, 5, NULL, NULL);
        z[i] = z0;
        expect_close((lp - lm) / (2 * H), d[i], "logit", (size_t)i);
    }
    /* a hand case: equal logits over 4 classes give log 4 */
    float e[4] = {1, 1, 1, 1};
    uint8_t l0 = 3;
    int hits;
    assert_true(fabs(tr_softmax_xent(e, &l0, 1, 4, NULL, &hits) - log(4.0)) < 1e-12);
}

/* int4:pt (qmax 7) with max calibration: nothing is clipped, all 1. With
 * an explicit clip (p50) the values above the clip get 0, or alpha/|x|
 * with MAD. */
static void test_ste_factors(void **st) {
    (void)st;
    vsq_format f;
    float x[4] = {0.5f, -1.0f, 3.5f, 7.0f}, y[4], g[4];
    assert_int_equal(vsq_format_parse("int4:pt", &f), VSQ_OK);
    assert_int_equal(tr_fakequant_ste(&f, x, 1, 4, 1, 0, y, g), VSQ_OK);
    for (int i = 0; i < 4; i++) assert_true(g[i] == 1.0f);
    /* scale 1 (alpha 7): y = round(x), ties away from zero */
    assert_true(y[0] == 1.0f && y[1] == -1.0f && y[2] == 4.0f && y[3] == 7.0f);
    float x2[8] = {1, 1, 1, 1, 1, 1, 1, 14};
    assert_int_equal(vsq_format_parse("int4:pt:fp32:p50", &f), VSQ_OK);
    float y2[8], g2[8];
    assert_int_equal(tr_fakequant_ste(&f, x2, 1, 8, 1, 0, y2, g2), VSQ_OK);
    assert_true(g2[0] == 1.0f && g2[7] == 0.0f);
    assert_int_equal(tr_fakequant_ste(&f, x2, 1, 8, 1, 1, y2, g2), VSQ_OK);
    /* alpha = 7 * scale = the clip value = |y| of the clipped element */
    assert_true(fabsf(g2[7] - fabsf(y2[7]) / 14.0f) < 1e-6f);
    assert_true(g2[7] > 0 && g2[7] < 1);
}

/* Eval-mode output with BN equals the output of the folded network. */
static void test_fold_bn(void **st) {
    (void)st;
    fd_case c;
    tr_spec s[] = {{TR_CONV, 4, 3, 1, 1}, {TR_BN, 0, 0, 0, 0}, {TR_RELU, 0, 0, 0, 0},
                   {TR_DWCONV, 0, 3, 1, 1}, {TR_BN, 0, 0, 0, 0}, {TR_GAP, 0, 0, 0, 0},
                   {TR_DENSE, 3, 0, 0, 0}, {TR_BN, 0, 0, 0, 0}};
    setup_case(&c, s, 8, 5, 5, 2, 2, 0);
    const float *y;
    assert_int_equal(tr_net_forward(&c.net, c.x, 2, &y), VSQ_OK);
    float ref[6];
    memcpy(ref, y, sizeof ref);
    assert_int_equal(tr_net_fold_bn(&c.net), VSQ_OK);
    assert_int_equal(tr_net_forward(&c.net, c.x, 2, &y), VSQ_OK);
    for (int i = 0; i < 6; i++) assert_true(fabsf(y[i] - ref[i]) <= 1e-4f * (1 + fabsf(ref[i])));
    free_case(&c);
}

/* Depthwise 3x3 weights with V = 16: along the taps ("window") every
 * filter is one vector, so the result equals per-channel quantization;
 * across channels (the default) 16 channels of one tap share a scale. */
static void test_dw_vectors(void **st) {
    (void)st;
    tr_net net;
    tr_spec s[] = {{TR_DWCONV, 0, 3, 1, 1}};
    assert_int_equal(tr_net_build(&net, "t", 4, 4, 32, s, 1, 1, 5), VSQ_OK);
    tr_qat pc = {0}, win = {.dw_window = 1}, across = {0};
    assert_int_equal(vsq_format_parse("int4:pc", &pc.w), VSQ_OK);
    assert_int_equal(vsq_format_parse("uint4:pt", &pc.a), VSQ_OK);
    win.w = across.w = pc.w, win.a = across.a = pc.a;
    assert_int_equal(vsq_format_parse("int4:v16", &win.w), VSQ_OK);
    across.w = win.w;
    size_t nw = net.l[0].nw;
    float *ref = malloc(sizeof(float) * nw);
    assert_int_equal(tr_qat_attach(&net, &pc), VSQ_OK);
    memcpy(ref, net.l[0].wq, sizeof(float) * nw);
    assert_int_equal(tr_qat_attach(&net, &win), VSQ_OK);
    assert_memory_equal(ref, net.l[0].wq, sizeof(float) * nw);
    assert_int_equal(tr_qat_attach(&net, &across), VSQ_OK);
    assert_true(memcmp(ref, net.l[0].wq, sizeof(float) * nw) != 0);
    free(ref);
    tr_net_free(&net);
}

/* Save, load: the same parameters and BN statistics, bit for bit. */
static void test_checkpoint_roundtrip(void **st) {
    (void)st;
    tr_net a, b;
    assert_int_equal(tr_net_build_named(&a, "mbnet", 2, 3), VSQ_OK);
    for (int i = 0; i < a.n; i++)
        if (a.l[i].op == TR_BN) a.l[i].rmean[0] = 0.25f, a.l[i].rvar[0] = 2.5f;
    char path[] = "/tmp/vsq_train_ckptXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    const char *meta[] = {"note", "test"};
    assert_int_equal(tr_ckpt_save(&a, path, meta, 1), VSQ_OK);
    assert_int_equal(tr_ckpt_load(&b, path, 2), VSQ_OK);
    assert_int_equal(a.n_params, b.n_params);
    assert_memory_equal(a.params, b.params, sizeof(float) * a.n_params);
    for (int i = 0; i < a.n; i++)
        if (a.l[i].op == TR_BN) assert_true(b.l[i].rmean[0] == 0.25f && b.l[i].rvar[0] == 2.5f);
    tr_net_free(&b);
    /* a file without the model metadata is refused by name */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 8, SEEK_SET), 0);
    char hdr[32];
    assert_int_equal(fread(hdr, 1, 32, f), 32);
    int at = -1;
    for (int i = 0; i + 7 <= 32 && at < 0; i++)
        if (!memcmp(hdr + i, "\"model\"", 7)) at = i;
    assert_true(at >= 0);
    assert_int_equal(fseek(f, 8 + at + 1, SEEK_SET), 0);
    fputc('M', f);
    fclose(f);
    assert_int_equal(tr_ckpt_load(&b, path, 2), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "model"));
    unlink(path);
    tr_net_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_same),         cmocka_unit_test(test_conv_strided),
        cmocka_unit_test(test_dwconv),            cmocka_unit_test(test_dense),
        cmocka_unit_test(test_bn_train_and_eval), cmocka_unit_test(test_activations),
        cmocka_unit_test(test_pooling),           cmocka_unit_test(test_composite),
        cmocka_unit_test(test_softmax_xent),      cmocka_unit_test(test_ste_factors),
        cmocka_unit_test(test_fold_bn),           cmocka_unit_test(test_checkpoint_roundtrip),
        cmocka_unit_test(test_dw_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
