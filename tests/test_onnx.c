/* The ONNX importer and the graph executor on models written by this test
 * (tests/onnx_tiny.h): a random-weight CNN with every supported operator,
 * at two input sizes and with its nodes shuffled, against an independent
 * plain-loop NCHW evaluation of the same network; quantization hooks on a
 * residual graph; and one test per malformed model, each checking its
 * error message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "models/cnn/cnn.h"
#include "onnx_tiny.h"

/* ---- the independent reference: NCHW, one loop nest per operator ---- */
typedef struct {
    int c, h, w;
    float *v; /* [c][h][w] */
} nchw;

static nchw t_new(int c, int h, int w) {
    nchw t = {c, h, w, calloc((size_t)c * h * w, sizeof(float))};
    assert_non_null(t.v);
    return t;
}

static float *at(const nchw *t, int c, int y, int x) { return &t->v[((size_t)c * t->h + y) * t->w + x]; }

/* Conv2d with groups, stride, symmetric pad, dilation; W [co][ci/g][k][k]. */
static nchw conv(const nchw *x, const float *wt, const float *b, int co, int k, int stride, int pad, int dil, int groups) {
    int span = dil * (k - 1) + 1;
    nchw y = t_new(co, (x->h + 2 * pad - span) / stride + 1, (x->w + 2 * pad - span) / stride + 1);
    int cig = x->c / groups, cog = co / groups;
    for (int o = 0; o < co; o++)
        for (int oy = 0; oy < y.h; oy++)
            for (int ox = 0; ox < y.w; ox++) {
                double s = b[o];
                for (int ci = 0; ci < cig; ci++)
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int iy = oy * stride - pad + ky * dil, ix = ox * stride - pad + kx * dil;
                            if (iy < 0 || iy >= x->h || ix < 0 || ix >= x->w) continue;
                            s += (double)wt[((o * cig + ci) * k + ky) * k + kx] * *at(x, (o / cog) * cig + ci, iy, ix);
                        }
                *at(&y, o, oy, ox) = (float)s;
            }
    return y;
}

static void tiny_reference(const tiny_net *t, const float *img_chw, float *logits) {
    nchw x = t_new(3, t->h + 1, t->w + 1); /* Pad: one row on top, one column on the right */
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < t->h; y++)
            for (int xx = 0; xx < t->w; xx++) *at(&x, c, y + 1, xx) = img_chw[((size_t)c * t->h + y) * t->w + xx];
    nchw c1 = conv(&x, t->w1, t->b1, 8, 3, 2, 0, 1, 1);
    for (int c = 0; c < 8; c++) /* BN (eps 1e-3), Relu */
        for (int i = 0; i < c1.h * c1.w; i++) {
            float *v = &c1.v[c * c1.h * c1.w + i];
            *v = (float)((*v - t->bn[2][c]) / sqrt(t->bn[3][c] + 1e-3) * t->bn[0][c] + t->bn[1][c]);
            *v = *v > 0 ? *v : 0;
        }
    nchw c2 = conv(&c1, t->w2, t->b2, 8, 3, 1, 1, 1, 4);
    for (int i = 0; i < 8 * c2.h * c2.w; i++) c2.v[i] = c2.v[i] < 0 ? 0 : c2.v[i] > 6 ? 6 : c2.v[i];
    nchw s3 = conv(&c2, t->wd, t->bd, 8, 3, 1, 1, 1, 8);
    for (int i = 0; i < 8 * s3.h * s3.w; i++) s3.v[i] += c1.v[i]; /* residual */
    nchw g4 = conv(&s3, t->w4, t->b4, 4, 1, 1, 0, 1, 1);
    for (int i = 0; i < 4 * g4.h * g4.w; i++) g4.v[i] = 1.0f / (1.0f + expf(-g4.v[i]));
    nchw c5 = conv(&s3, t->w5, t->b5, 6, 3, 1, 2, 2, 1);
    nchw mp = t_new(10, t->hb, t->wb); /* Concat(g4, c5) -> MaxPool 2/2 -> * mk[c] */
    for (int c = 0; c < 10; c++)
        for (int y = 0; y < mp.h; y++)
            for (int xx = 0; xx < mp.w; xx++) {
                float m = -INFINITY;
                for (int k = 0; k < 4; k++) {
                    float v = c < 4 ? *at(&g4, c, 2 * y + k / 2, 2 * xx + k % 2) : *at(&c5, c - 4, 2 * y + k / 2, 2 * xx + k % 2);
                    m = v > m ? v : m;
                }
                *at(&mp, c, y, xx) = m * t->mk[c];
            }
    nchw ap = t_new(10, mp.h, mp.w); /* AveragePool 3/1 pad 1, padding not counted */
    for (int c = 0; c < 10; c++)
        for (int y = 0; y < ap.h; y++)
            for (int xx = 0; xx < ap.w; xx++) {
                double s = 0;
                int n = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                        if (y + dy >= 0 && y + dy < mp.h && xx + dx >= 0 && xx + dx < mp.w) s += *at(&mp, c, y + dy, xx + dx), n++;
                *at(&ap, c, y, xx) = (float)(s / n);
            }
    float r2[7]; /* Flatten (CHW) -> MatMul -> + ak -> Relu */
    int live = 0;
    for (int j = 0; j < 7; j++) {
        double s = t->ak[j];
        for (int i = 0; i < t->f; i++) s += (double)ap.v[i] * t->wm[i * 7 + j];
        r2[j] = s > 0 ? (float)s : 0;
        live += s > 0;
    }
    assert_true(live >= 2); /* the logits depend on the convolutions, not only on the Gemm bias */
    for (int o = 0; o < 5; o++) { /* Gemm: 0.5 * r2 . WG[:, o] + 2 * cg[o] */
        double s = 0;
        for (int j = 0; j < 7; j++) s += (double)r2[j] * t->wg[j * 5 + o];
        logits[o] = (float)(0.5 * s + 2.0 * t->cg[o]);
    }
    free(x.v), free(c1.v), free(c2.v), free(s3.v), free(g4.v), free(c5.v), free(mp.v), free(ap.v);
}

/* ---- helpers ---- */
static uint8_t *tiny_bytes(const tiny_net *t, const int *perm, size_t *len, void (*mutate)(onnx_gen *)) {
    onnx_gen *g = calloc(1, sizeof *g);
    assert_non_null(g);
    tiny_build(g, t);
    if (mutate) mutate(g);
    uint8_t *buf = gen_pack(g, perm, "x", 3, t->h, t->w, "logits", 5, len);
    gen_free(g);
    free(g);
    return buf;
}

/* Load the tiny model and compare its logits with the reference on a few
 * random images; returns the largest |difference|. */
static double tiny_check(int h, int w, uint32_t seed, const int *perm) {
    tiny_net *t = malloc(sizeof *t);
    assert_non_null(t);
    tiny_init(t, h, w, seed);
    size_t len;
    uint8_t *buf = tiny_bytes(t, perm, &len, NULL);
    cnn_model m;
    vsq_status st = cnn_onnx_load_mem(buf, len, "tiny.onnx", &m);
    if (st) fprintf(stderr, "%s\n", vsq_last_error());
    assert_int_equal(st, VSQ_OK);
    assert_int_equal(m.n_classes, 5);
    assert_int_equal(m.in_h, h);
    assert_int_equal(m.in_w, w);
    cnn_work wk;
    assert_int_equal(cnn_work_alloc(&m, &wk), VSQ_OK);
    float *chw = malloc((size_t)3 * h * w * sizeof(float)), *hwc = malloc((size_t)3 * h * w * sizeof(float));
    float ref[5], got[5];
    double worst = 0;
    uint32_t s = seed ^ 0x9e3779b9u;
    for (int img = 0; img < 3; img++) {
        for (int i = 0; i < 3 * h * w; i++) chw[i] = tiny_rand(&s) * 4.0f;
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < h * w; p++) hwc[p * 3 + c] = chw[c * h * w + p];
        tiny_reference(t, chw, ref);
        assert_int_equal(cnn_forward(&m, NULL, &wk, hwc, got, NULL, NULL), VSQ_OK);
        for (int o = 0; o < 5; o++) {
            double d = fabs(ref[o] - got[o]) / (1.0 + fabs(ref[o]));
            worst = d > worst ? d : worst;
        }
    }
    free(chw), free(hwc), free(buf), free(t);
    cnn_work_free(&wk);
    cnn_model_free(&m);
    return worst;
}

/* ---- tests: correctness ---- */
static void test_tiny_matches_reference(void **state) {
    (void)state;
    double d = tiny_check(13, 13, 1, NULL);
    fprintf(stderr, "tiny 13x13: max relative logit error %.2e\n", d);
    assert_true(d < 1e-4); /* fp32 summation order only */
}

static void test_other_input_size(void **state) {
    (void)state;
    double d = tiny_check(20, 17, 7, NULL);
    fprintf(stderr, "tiny 20x17: max relative logit error %.2e\n", d);
    assert_true(d < 1e-4);
}

/* Nodes written in reverse order: the importer must sort them. */
static void test_shuffled_nodes(void **state) {
    (void)state;
    int perm[64];
    onnx_gen *g = calloc(1, sizeof *g);
    tiny_net *t = malloc(sizeof *t);
    tiny_init(t, 9, 9, 3);
    tiny_build(g, t);
    int n = g->n_node;
    gen_free(g), free(g), free(t);
    for (int i = 0; i < n; i++) perm[i] = n - 1 - i;
    assert_true(tiny_check(9, 9, 3, perm) < 1e-4);
}

/* Buffers are reused: far fewer slots than tensors. */
static void test_buffer_reuse(void **state) {
    (void)state;
    tiny_net *t = malloc(sizeof *t);
    tiny_init(t, 13, 13, 5);
    size_t len;
    uint8_t *buf = tiny_bytes(t, NULL, &len, NULL);
    cnn_model m;
    assert_int_equal(cnn_onnx_load_mem(buf, len, "tiny.onnx", &m), VSQ_OK);
    fprintf(stderr, "tiny: %d nodes, %d tensors, %d buffers\n", m.n, m.n_t, m.n_slots);
    assert_true(m.n_slots <= 4); /* at most r1, s3, g4 and one more alive at once */
    assert_true(m.n_slots < m.n_t / 3);
    /* BN folded into conv1: no affine node */
    for (int i = 0; i < m.n; i++) assert_true(m.l[i].op != CNN_AFFINE || !strcmp(m.l[i].name, "mul") || !strcmp(m.l[i].name, "addb"));
    cnn_model_free(&m);
    free(buf), free(t);
}

/* Quantized activations of a layer whose input also feeds the residual
 * Add must not change that Add's operand: per-layer quantization of s3's
 * readers (conv4, conv5) only. Compares the 8-bit run with fp32 and
 * checks that weights/activations actually changed the logits a little. */
static void test_quantized_residual_graph(void **state) {
    (void)state;
    tiny_net *t = malloc(sizeof *t);
    tiny_init(t, 13, 13, 11);
    size_t len;
    uint8_t *buf = tiny_bytes(t, NULL, &len, NULL);
    cnn_model m;
    assert_int_equal(cnn_onnx_load_mem(buf, len, "tiny.onnx", &m), VSQ_OK);
    cnn_work wk;
    assert_int_equal(cnn_work_alloc(&m, &wk), VSQ_OK);
    cnn_qcfg q;
    cnn_qcfg_init(&q);
    assert_int_equal(vsq_format_parse("int8:v16:s6", &q.w), VSQ_OK);
    assert_int_equal(vsq_format_parse("uint8:v16:s6", &q.a), VSQ_OK);
    q.quant_w = q.quant_a = 1;
    assert_int_equal(cnn_quantize_weights(&m, &q), VSQ_OK);
    float img[13 * 13 * 3], a[5], b[5], c[5];
    uint32_t s = 5;
    for (int i = 0; i < 13 * 13 * 3; i++) img[i] = tiny_rand(&s) * 4;
    assert_int_equal(cnn_forward(&m, NULL, &wk, img, a, NULL, NULL), VSQ_OK);
    assert_int_equal(cnn_forward(&m, &q, &wk, img, b, NULL, NULL), VSQ_OK);
    assert_int_equal(cnn_forward(&m, &q, &wk, img, c, NULL, NULL), VSQ_OK);
    double diff = 0, scale = 0;
    for (int o = 0; o < 5; o++) {
        assert_true(b[o] == c[o]); /* deterministic: no state leaks between runs */
        diff += fabs(a[o] - b[o]), scale += fabs(a[o]);
    }
    fprintf(stderr, "tiny int8: mean |logit change| %.3e of %.3e\n", diff / 5, scale / 5);
    assert_true(diff > 0);              /* quantization did something */
    assert_true(diff < 0.05 * scale + 1e-3); /* 8 bits: small */
    /* in_live set exactly where a later node reads the same input */
    for (int i = 0; i < m.n; i++)
        if (!strcmp(m.l[i].name, "conv4")) assert_true(m.l[i].in_live);
    cnn_clear_weights(&m);
    cnn_work_free(&wk);
    cnn_model_free(&m);
    free(buf), free(t);
}

/* The integer MAC path (--int) and the packed pointwise path compute the
 * fake-quant arithmetic with integer codes: on the residual graph their
 * logits must match fake-quant to float rounding, and the GPTQ and static
 * calibration hooks must run on graph nodes. */
static void test_int_packed_gptq_on_graph(void **state) {
    (void)state;
    tiny_net *t = malloc(sizeof *t);
    tiny_init(t, 13, 13, 31);
    size_t len;
    uint8_t *buf = tiny_bytes(t, NULL, &len, NULL);
    cnn_model m;
    assert_int_equal(cnn_onnx_load_mem(buf, len, "tiny.onnx", &m), VSQ_OK);
    cnn_dataset d = {.n = 6, .size = 13};
    int labels[6] = {0};
    d.label = labels;
    d.pix = malloc(6 * 13 * 13 * 3 * sizeof(float));
    uint32_t s = 3;
    for (int i = 0; i < 6 * 13 * 13 * 3; i++) d.pix[i] = tiny_rand(&s) * 4;
    vsq_layer_cfg lc;
    assert_int_equal(vsq_layer_cfg_parse("8/8U/6/6", 16, &lc), VSQ_OK);
    cnn_qcfg qf, qi, qp;
    cnn_qcfg_init(&qf);
    qf.w = lc.w, qf.a = lc.a, qf.quant_w = qf.quant_a = 1;
    qi = qf, qi.use_int = 1;
    qp = qf, qp.packed = 1;
    float lf[6 * 5], li[6 * 5], lp[6 * 5];
    assert_int_equal(cnn_quantize_weights(&m, &qf), VSQ_OK);
    assert_int_equal(cnn_logits(&m, &qf, &d, 0, 6, 1, lf), VSQ_OK);
    assert_int_equal(cnn_quantize_weights(&m, &qi), VSQ_OK);
    assert_int_equal(cnn_logits(&m, &qi, &d, 0, 6, 1, li), VSQ_OK);
    assert_int_equal(cnn_quantize_weights(&m, &qp), VSQ_OK);
    int n_packed = 0;
    for (int i = 0; i < m.n; i++) n_packed += m.l[i].wpk != NULL;
    assert_true(n_packed >= 1); /* conv4 (1x1) at least */
    assert_int_equal(cnn_logits(&m, &qp, &d, 0, 6, 1, lp), VSQ_OK);
    for (int i = 0; i < 30; i++) {
        assert_true(fabs(lf[i] - li[i]) <= 1e-4 * (1 + fabs(lf[i])));
        assert_true(fabs(lf[i] - lp[i]) <= 1e-4 * (1 + fabs(lf[i])));
    }
    /* GPTQ Hessians and static calibration on the graph */
    cnn_qcfg qg;
    cnn_qcfg_init(&qg);
    assert_int_equal(vsq_format_parse("int4:v16", &qg.w), VSQ_OK);
    qg.quant_w = 1;
    assert_int_equal(cnn_gptq_calibrate(&m, &d, 0, 6, &qg.hessian), VSQ_OK);
    assert_int_equal(cnn_quantize_weights(&m, &qg), VSQ_OK);
    cnn_gptq_free(&m, qg.hessian);
    cnn_qcfg qs;
    cnn_qcfg_init(&qs);
    assert_int_equal(vsq_format_parse("uint8:pt:fp32:max", &qs.a), VSQ_OK);
    qs.quant_a = qs.a_static = 1;
    assert_int_equal(cnn_calibrate(&m, &qs, &d, 0, 6, 1, NULL), VSQ_OK);
    for (int i = 0; i < m.n; i++)
        if (cnn_is_mac(&m.l[i])) assert_true(qs.alpha[i] > 0);
    cnn_qcfg_free(&qs);
    cnn_clear_weights(&m);
    free(d.pix);
    cnn_model_free(&m);
    free(buf), free(t);
}

/* ---- sensitivity and mixed precision ---- */
/* One layer at a time on the tiny model: one entry per MAC layer, and
 * 8-bit weights disturb the logits far less than 2-bit ones everywhere. */
static void test_sensitivity_tiny(void **state) {
    (void)state;
    tiny_net *t = malloc(sizeof *t);
    tiny_init(t, 13, 13, 21);
    size_t len;
    uint8_t *buf = tiny_bytes(t, NULL, &len, NULL);
    cnn_model m;
    assert_int_equal(cnn_onnx_load_mem(buf, len, "tiny.onnx", &m), VSQ_OK);
    cnn_dataset d = {.n = 4, .size = 13};
    int labels[4] = {0, 1, 2, 3};
    d.label = labels;
    d.pix = malloc(4 * 13 * 13 * 3 * sizeof(float));
    uint32_t s = 9;
    for (int i = 0; i < 4 * 13 * 13 * 3; i++) d.pix[i] = tiny_rand(&s) * 4;
    float ref[4 * 5];
    assert_int_equal(cnn_logits(&m, NULL, &d, 0, 4, 1, ref), VSQ_OK);
    cnn_sens hi[32], lo[32];
    int n_hi, n_lo;
    cnn_qcfg q;
    cnn_qcfg_init(&q);
    q.quant_w = 1;
    assert_int_equal(vsq_format_parse("int8:pc", &q.w), VSQ_OK);
    assert_int_equal(cnn_sensitivity(&m, &q, &d, 0, 4, 1, ref, hi, &n_hi, NULL), VSQ_OK);
    assert_int_equal(vsq_format_parse("int2:pc", &q.w), VSQ_OK);
    assert_int_equal(cnn_sensitivity(&m, &q, &d, 0, 4, 1, ref, lo, &n_lo, NULL), VSQ_OK);
    assert_int_equal(n_hi, 7); /* conv1, conv2, dw3, conv4, conv5, mm, gemm */
    assert_int_equal(n_lo, 7);
    for (int j = 0; j < n_hi; j++) {
        fprintf(stderr, "  %-6s int8 %5.1f dB  int2 %5.1f dB\n", m.l[hi[j].layer].name, hi[j].sqnr_db, lo[j].sqnr_db);
        assert_true(hi[j].sqnr_db > 25);
        assert_true(hi[j].sqnr_db > lo[j].sqnr_db + 10); /* ~6 dB per bit */
        assert_true(hi[j].bits > 8 && lo[j].bits > 2 && hi[j].bits - lo[j].bits > 5.99 && hi[j].bits - lo[j].bits < 6.01);
    }
    free(d.pix);
    cnn_model_free(&m);
    free(buf), free(t);
}

/* Hand-checked greedy: 3 layers of 100 weights, formats 8 and 4 bits.
 * Noise added by 4 bits: layer 0 tiny (60 dB), layer 1 large (10 dB),
 * layer 2 medium (30 dB). Budget 6.7: one move (400 bits) brings the
 * average from 8 to 6.67 - the cheapest is layer 0; budget 5.4 takes
 * layer 2 next; 4 moves everything; 3 is infeasible. */
static void test_mixed_greedy(void **state) {
    (void)state;
    cnn_sens s[6] = {
        {0, 100, 8, 0, 90}, {1, 100, 8, 0, 90}, {2, 100, 8, 0, 90},
        {0, 100, 4, 0, 60}, {1, 100, 4, 0, 10}, {2, 100, 4, 0, 30},
    };
    int ch[3];
    double avg;
    assert_int_equal(cnn_mixed_greedy(s, 2, 3, 6.7, ch, &avg), VSQ_OK);
    assert_int_equal(ch[0], 1), assert_int_equal(ch[1], 0), assert_int_equal(ch[2], 0);
    assert_true(fabs(avg - 20.0 / 3) < 1e-9);
    assert_int_equal(cnn_mixed_greedy(s, 2, 3, 5.4, ch, &avg), VSQ_OK);
    assert_int_equal(ch[0], 1), assert_int_equal(ch[1], 0), assert_int_equal(ch[2], 1);
    assert_int_equal(cnn_mixed_greedy(s, 2, 3, 4.0, ch, &avg), VSQ_OK);
    assert_int_equal(ch[0] + ch[1] + ch[2], 3);
    assert_int_equal(cnn_mixed_greedy(s, 2, 3, 3.0, ch, &avg), VSQ_EINVAL);
    assert_non_null(strstr(vsq_last_error(), "below the cheapest"));
}

/* ---- tests: malformed models ---- */
static void expect_error(void (*mutate)(onnx_gen *), size_t cut, vsq_status want, const char *msg1, const char *msg2) {
    tiny_net *t = malloc(sizeof *t);
    tiny_init(t, 9, 9, 2);
    size_t len;
    uint8_t *buf = tiny_bytes(t, NULL, &len, mutate);
    if (cut) len = cut < len ? cut : len;
    cnn_model m;
    vsq_status st = cnn_onnx_load_mem(buf, len, "bad.onnx", &m);
    fprintf(stderr, "  -> %s\n", vsq_last_error());
    assert_int_equal(st, want);
    assert_non_null(strstr(vsq_last_error(), "bad.onnx"));
    assert_non_null(strstr(vsq_last_error(), msg1));
    if (msg2) assert_non_null(strstr(vsq_last_error(), msg2));
    assert_null(strchr(vsq_last_error(), '\n'));
    free(buf), free(t);
}

static void test_truncated(void **state) {
    (void)state;
    tiny_net *t = malloc(sizeof *t);
    tiny_init(t, 9, 9, 2);
    size_t len;
    uint8_t *buf = tiny_bytes(t, NULL, &len, NULL);
    free(buf), free(t);
    expect_error(NULL, len / 2, VSQ_EFORMAT, "not a valid ONNX model", NULL);
    expect_error(NULL, len - 3, VSQ_EFORMAT, "not a valid ONNX model", NULL);
}

static void dangle(onnx_gen *g) { tiny_node(g, "add3")->input[1] = gen_str(g, "nowhere"); }
static void test_dangling_input(void **state) {
    (void)state;
    expect_error(dangle, 0, VSQ_EFORMAT, "node 'add3' (Add): input 'nowhere' is not defined", NULL);
}

static void short_init(onnx_gen *g) {
    for (int i = 0; i < g->n_init; i++)
        if (!strcmp(g->init[i]->name, "W1")) g->init[i]->raw_data.len -= 4;
}
static void test_wrong_initializer_size(void **state) {
    (void)state;
    expect_error(short_init, 0, VSQ_EFORMAT, "initializer 'W1' holds 860 bytes, its shape needs 864", NULL);
}

static void unknown_op(onnx_gen *g) { tiny_node(g, "sig4")->op_type = gen_str(g, "HardSwishPlus"); }
static void test_unknown_op(void **state) {
    (void)state;
    expect_error(unknown_op, 0, VSQ_EUNSUPPORTED, "node 'sig4' (HardSwishPlus): unsupported operator", NULL);
}

/* conv1 reads r1, which conv1 itself feeds through bn1 and relu1. */
static void cycle(onnx_gen *g) { tiny_node(g, "conv1")->input[0] = gen_str(g, "r1"); }
static void test_cycle(void **state) {
    (void)state;
    expect_error(cycle, 0, VSQ_EFORMAT, "the graph has a cycle through node", NULL);
}

static void bad_attr(onnx_gen *g) { gen_attr_int(g, tiny_node(g, "conv2"), "winograd", 1); }
static void test_unknown_attribute(void **state) {
    (void)state;
    expect_error(bad_attr, 0, VSQ_EUNSUPPORTED, "node 'conv2' (Conv): unsupported attribute 'winograd'", NULL);
}

static void twice(onnx_gen *g) { tiny_node(g, "conv4")->output[0] = gen_str(g, "c5"); }
static void test_defined_twice(void **state) {
    (void)state;
    expect_error(twice, 0, VSQ_EFORMAT, "output 'c5' is defined more than once", NULL);
}

static void nan_init(onnx_gen *g) {
    for (int i = 0; i < g->n_init; i++)
        if (!strcmp(g->init[i]->name, "B2")) g->init[i]->float_data[3] = NAN;
}
static void test_nonfinite_initializer(void **state) {
    (void)state;
    expect_error(nan_init, 0, VSQ_ENONFINITE, "initializer 'B2'[3] is not finite", NULL);
}

static void bad_group(onnx_gen *g) { tiny_node(g, "conv2")->attribute[0]->i = 3; }
static void test_shape_mismatch(void **state) {
    (void)state;
    expect_error(bad_group, 0, VSQ_EFORMAT, "node 'conv2' (Conv): weights [8,2,3,3] and group 3", NULL);
}

/* The CLI: one line naming the node and op, exit 2. */
static void test_cli_unknown_op(void **state) {
    (void)state;
    tiny_net *t = malloc(sizeof *t);
    tiny_init(t, 9, 9, 2);
    size_t len;
    uint8_t *buf = tiny_bytes(t, NULL, &len, unknown_op);
    char dir[] = "/tmp/vsq_onnx_XXXXXX", path[64], cmd[512], out[1024] = "";
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/bad.onnx", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
    static const char *const runs[] = {"eval-cnn --model %s --limit 2 --json /dev/null",
                                       "sensitivity --model %s --fmt int4:pc --limit 2 --json /dev/null"};
    for (int r = 0; r < 2; r++) {
        char args[256];
        snprintf(args, sizeof args, runs[r], path);
        snprintf(cmd, sizeof cmd, "%s %s 2>&1", VSQ_CLI, args);
        FILE *p = popen(cmd, "r");
        size_t n = fread(out, 1, sizeof out - 1, p);
        out[n] = 0;
        int rc = pclose(p);
        fprintf(stderr, "  cli: %s", out);
        assert_int_equal(WEXITSTATUS(rc), 2);
        assert_non_null(strstr(out, "node 'sig4' (HardSwishPlus): unsupported operator"));
        assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1); /* one line */
    }
    /* bad sensitivity arguments: exit 2 before any work */
    snprintf(cmd, sizeof cmd, "%s sensitivity --fmt int4:zz --json /dev/null >/dev/null 2>&1", VSQ_CLI);
    int rc = system(cmd);
    assert_int_equal(WEXITSTATUS(rc), 2);
    snprintf(cmd, sizeof cmd, "%s sensitivity --json /dev/null >/dev/null 2>&1", VSQ_CLI);
    rc = system(cmd);
    assert_int_equal(WEXITSTATUS(rc), 2);
    unlink(path);
    rmdir(dir);
    free(buf), free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_matches_reference),
        cmocka_unit_test(test_other_input_size),
        cmocka_unit_test(test_shuffled_nodes),
        cmocka_unit_test(test_buffer_reuse),
        cmocka_unit_test(test_quantized_residual_graph),
        cmocka_unit_test(test_int_packed_gptq_on_graph),
        cmocka_unit_test(test_sensitivity_tiny),
        cmocka_unit_test(test_mixed_greedy),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_dangling_input),
        cmocka_unit_test(test_wrong_initializer_size),
        cmocka_unit_test(test_unknown_op),
        cmocka_unit_test(test_cycle),
        cmocka_unit_test(test_unknown_attribute),
        cmocka_unit_test(test_defined_twice),
        cmocka_unit_test(test_nonfinite_initializer),
        cmocka_unit_test(test_shape_mismatch),
        cmocka_unit_test(test_cli_unknown_op),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
