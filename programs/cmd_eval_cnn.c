/* vsq eval-cnn: ImageNet top-1/top-5 of a Keras/TF.js CNN (MobileNetV1),
 * in fp32 or with VS-Quant post-training quantization; --sweep regenerates
 * the paper's Table 2-5 analogues (see docs/cnn.md). */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cnn_cli.h"
#include "commands.h"
#include "vsq/cnn.h"

static void progress_images(size_t done, size_t total) { cli_progress("images", done, total); }
static void progress_eval(size_t done, size_t total) { cli_progress("evaluate", done, total); }
static void progress_calib(size_t done, size_t total) { cli_progress("calibrate", done, total); }

typedef struct {
    const char *model, *data, *w, *a, *cfg, *json, *csv, *sweep, *out, *dw, *first, *pad, *kernel;
    long limit, calib, threads, gptq;
    int use_int;
    cnn_pp_opts pp;
} opts;

static int parse_opts(int argc, char **argv, opts *o) {
    static char model[4096], data[4096];
    snprintf(model, sizeof model, "%s/models/mobilenet_v1_0.75_224", cli_shared_dir());
    snprintf(data, sizeof data, "%s/data/imagenet-val1300", cli_shared_dir());
    *o = (opts){.model = model, .data = data, .calib = -1, .dw = "window", .first = "flat",
              .pad = "keras", .kernel = "fake", .pp = {.round8 = -1}};
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (cli_opt(argc, argv, &i, "--model", &o->model) || cli_opt(argc, argv, &i, "--data", &o->data) ||
            cli_opt(argc, argv, &i, "--w", &o->w) || cli_opt(argc, argv, &i, "--a", &o->a) ||
            cli_opt(argc, argv, &i, "--cfg", &o->cfg) || cli_opt(argc, argv, &i, "--json", &o->json) ||
            cli_opt(argc, argv, &i, "--csv", &o->csv) || cli_opt(argc, argv, &i, "--sweep", &o->sweep) ||
            cli_opt(argc, argv, &i, "--out", &o->out) || cli_opt(argc, argv, &i, "--dw", &o->dw) ||
            cli_opt(argc, argv, &i, "--first", &o->first) || cli_opt(argc, argv, &i, "--pad", &o->pad) ||
            cli_opt(argc, argv, &i, "--kernel", &o->kernel))
            continue;
        int rc;
        if (cnn_pp_opt(argc, argv, &i, &o->pp, &rc)) {
            if (rc) return rc;
            continue;
        }
        if (cli_opt(argc, argv, &i, "--limit", &v)) {
            if (cli_parse_long(v, 1, 10000000, &o->limit)) return cli_fail(CLI_BADINPUT, "bad --limit '%s'", v);
        } else if (cli_opt(argc, argv, &i, "--gptq", &v)) {
            if (cli_parse_long(v, 1, 10000000, &o->gptq)) return cli_fail(CLI_BADINPUT, "bad --gptq '%s' (calibration images)", v);
        } else if (cli_opt(argc, argv, &i, "--calib-images", &v)) {
            if (cli_parse_long(v, 1, 10000000, &o->calib)) return cli_fail(CLI_BADINPUT, "bad --calib-images '%s'", v);
        } else if (cli_opt(argc, argv, &i, "--threads", &v)) {
            if (cli_parse_long(v, 1, 1024, &o->threads)) return cli_fail(CLI_BADINPUT, "bad --threads '%s'", v);
        } else if (!strcmp(argv[i], "--ref-compat")) {
            o->pad = "symmetric", o->pp.resize = "corners";
        } else if (!strcmp(argv[i], "--int")) {
            o->use_int = 1;
        } else {
            return cli_fail(CLI_BADINPUT, "unknown option '%s' (see vsq eval-cnn --help)", argv[i]);
        }
    }
    if (strcmp(o->pad, "keras") && strcmp(o->pad, "symmetric"))
        return cli_fail(CLI_BADINPUT, "--pad must be keras or symmetric, not '%s'", o->pad);
    if (strcmp(o->kernel, "fake") && strcmp(o->kernel, "packed"))
        return cli_fail(CLI_BADINPUT, "--kernel must be fake or packed, not '%s'", o->kernel);
    if (o->cfg && (o->w || o->a)) return cli_fail(CLI_BADINPUT, "--cfg cannot be combined with --w/--a");
    if (!o->json && !o->sweep) return cli_fail(CLI_BADINPUT, "--json FILE is required");
    if (o->sweep && !o->out) return cli_fail(CLI_BADINPUT, "--sweep needs --out DIR");
    return CLI_OK;
}

/* Fill q from --w/--a/--cfg/--dw/--first/--int. */
static int build_qcfg(const opts *o, cnn_qcfg *q) {
    cnn_qcfg_init(q);
    vsq_status st;
    if (o->cfg) {
        vsq_layer_cfg lc;
        if ((st = vsq_layer_cfg_parse(o->cfg, 16, &lc))) return cli_status(st);
        q->w = lc.w, q->a = lc.a, q->quant_w = q->quant_a = 1;
    }
    if (o->w) {
        if ((st = vsq_format_parse(o->w, &q->w))) return cli_fail(CLI_BADINPUT, "--w: %s", vsq_last_error());
        q->quant_w = 1;
    }
    if (o->a) {
        if ((st = vsq_format_parse(o->a, &q->a))) return cli_fail(CLI_BADINPUT, "--a: %s", vsq_last_error());
        q->quant_a = 1;
    }
    q->a_static = q->quant_a && q->a.gran == VSQ_GRAN_TENSOR;
    if (!strcmp(o->dw, "window")) q->dw = CNN_DW_WINDOW;
    else if (!strcmp(o->dw, "channel")) q->dw = CNN_DW_CHANNEL;
    else return cli_fail(CLI_BADINPUT, "--dw must be window or channel, not '%s'", o->dw);
    if (!strcmp(o->first, "flat")) q->first = CNN_FIRST_FLAT;
    else if (!strcmp(o->first, "pixel")) q->first = CNN_FIRST_PIXEL;
    else if (!strcmp(o->first, "fp32")) q->first = CNN_FIRST_FP32;
    else return cli_fail(CLI_BADINPUT, "--first must be flat, pixel or fp32, not '%s'", o->first);
    q->use_int = o->use_int;
    q->packed = !strcmp(o->kernel, "packed");
    return CLI_OK;
}

/* Every option of the run, for the JSON record. */
static cJSON *options_json(const opts *o, const cnn_model *m, const cnn_preproc *pp, const char *preset,
                           const cnn_qcfg *q, int n_images) {
    char ws[128] = "fp32", as[128] = "fp32";
    if (q->quant_w) vsq_format_str(&q->w, ws, sizeof ws);
    if (q->quant_a) vsq_format_str(&q->a, as, sizeof as);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model", o->model);
    cJSON_AddStringToObject(j, "model_format", m->format);
    cJSON_AddStringToObject(j, "data", o->data);
    cJSON_AddNumberToObject(j, "limit", (double)o->limit);
    cJSON_AddNumberToObject(j, "images_in_split", n_images);
    cJSON_AddStringToObject(j, "w", ws);
    cJSON_AddStringToObject(j, "a", as);
    cJSON_AddStringToObject(j, "cfg", o->cfg ? o->cfg : "");
    cJSON_AddNumberToObject(j, "a_static", q->a_static);
    cJSON_AddNumberToObject(j, "calib_images", o->calib > 0 ? (double)o->calib : 300);
    cJSON_AddNumberToObject(j, "gptq_images", (double)o->gptq);
    cJSON_AddNumberToObject(j, "int_path", q->use_int);
    cJSON_AddStringToObject(j, "kernel", o->kernel);
    cJSON_AddStringToObject(j, "dw", o->dw);
    cJSON_AddStringToObject(j, "first", o->first);
    cJSON_AddStringToObject(j, "pad", o->pad);
    cnn_pp_json(j, pp, preset);
    cJSON_AddNumberToObject(j, "threads", (double)o->threads);
    return j;
}

static int write_results(const opts *o, const cnn_result *r, int begin, const cnn_qcfg *q, cJSON *options) {
    char ws[128] = "fp32", as[128] = "fp32", text[2048];
    if (q->quant_w) vsq_format_str(&q->w, ws, sizeof ws);
    if (q->quant_a) vsq_format_str(&q->a, as, sizeof as);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "top1", r->top1);
    cJSON_AddNumberToObject(j, "top5", r->top5);
    cJSON_AddNumberToObject(j, "n", r->n);
    cJSON_AddNumberToObject(j, "first_image", begin);
    cJSON_AddStringToObject(j, "w", ws);
    cJSON_AddStringToObject(j, "a", as);
    cJSON_AddNumberToObject(j, "a_static", q->a_static);
    cJSON_AddNumberToObject(j, "int_path", q->use_int);
    cJSON_AddStringToObject(j, "kernel", o->kernel);
    cJSON_AddStringToObject(j, "dw", o->dw);
    cJSON_AddStringToObject(j, "first", o->first);
    cJSON_AddStringToObject(j, "pad", o->pad);
    cJSON_AddStringToObject(j, "resize", cJSON_GetObjectItem(options, "resize")->valuestring);
    cJSON_AddNumberToObject(j, "seconds", r->seconds);
    cJSON_AddNumberToObject(j, "images_per_s", r->images_per_s);
    cJSON_AddItemToObject(j, "options", options);
    char *js = cJSON_Print(j);
    int rc = CLI_OK;
    if (o->json && (!js || cli_write_text(o->json, js))) rc = cli_fail(CLI_FAIL, "cannot write %s", o->json);
    cJSON_free(js);
    cJSON_Delete(j);
    if (rc) return rc;
    if (o->csv) {
        snprintf(text, sizeof text,
                 "model,w,a,n,first_image,gptq_images,kernel,top1,top5,images_per_s\n%s,%s,%s,%d,%d,%ld,%s,%.4f,%.4f,%.2f\n",
                 o->model, ws, as, r->n, begin, o->gptq, o->kernel, r->top1, r->top5, r->images_per_s);
        if (cli_write_text(o->csv, text)) return cli_fail(CLI_FAIL, "cannot write %s", o->csv);
    }
    printf("%-28s %-28s %6s %8s %8s %9s\n", "weights", "activations", "n", "top1 %", "top5 %", "img/s");
    printf("%-28s %-28s %6d %8.2f %8.2f %9.1f\n", ws, as, r->n, r->top1, r->top5, r->images_per_s);
    return CLI_OK;
}

static int run(int argc, char **argv) {
    opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc) return rc;
    if (o.threads > 0) omp_set_num_threads((int)o.threads);
    cnn_qcfg q;
    if ((rc = build_qcfg(&o, &q))) return rc;
    cnn_model m;
    vsq_status st = cnn_model_open(o.model, &m);
    if (st) return cli_status(st);
    cnn_preproc pp;
    const char *preset;
    if ((rc = cnn_pp_build(&o.pp, o.model, &m, &pp, &preset))) { cnn_model_free(&m); return rc; }
    cnn_dataset d;
    if ((st = cnn_dataset_open(o.data, (int)o.limit, &d))) { cnn_model_free(&m); return cli_status(st); }
    if (m.in_h != m.in_w || m.in_c != 3)
        st = vsq_error(VSQ_EUNSUPPORTED, "model input %dx%dx%d: only square RGB inputs", m.in_h, m.in_w, m.in_c);
    cnn_model_set_padding(&m, strcmp(o.pad, "keras") ? CNN_PAD_SYMMETRIC : CNN_PAD_KERAS);
    if (!st) st = cnn_dataset_cache_pp(&d, &pp, progress_images);
    if (!st && o.sweep) {
        char desc[600];
        snprintf(desc, sizeof desc, "%s (%s; preprocessing %s, resize %s, %d images listed)",
                 strstr(o.model, "mobilenet_v1_0.75_224") ? "MobileNetV1 0.75/224" : o.model, m.format, preset,
                 pp.mode == CNN_RESIZE_ANTIALIAS ? "antialias" : pp.mode == CNN_RESIZE_HALF_PIXEL ? "half" : "corners", d.n);
        for (char *c = desc; *c; c++) *c = *c == '"' ? '\'' : *c;
        rc = cnn_sweep(&m, &d, o.sweep, o.out, (int)o.threads, (int)(o.calib > 0 ? o.calib : 300), desc);
        cnn_dataset_free(&d);
        cnn_model_free(&m);
        return rc == 0 ? CLI_OK : cli_status((vsq_status)rc);
    }
    int begin = 0;
    if (!st && o.gptq > 0) { /* calibrate on [0, n), evaluate after the calibration split */
        begin = o.calib > 0 ? (int)o.calib : 300;
        if (o.gptq > begin) st = vsq_error(VSQ_EINVAL, "--gptq %ld images exceed the calibration split (%d)", o.gptq, begin);
        else if (begin >= d.n) st = vsq_error(VSQ_EINVAL, "--gptq: no images left to evaluate after %d", begin);
        if (!st && !q.quant_w) st = vsq_error(VSQ_EINVAL, "--gptq needs --w or --cfg");
        if (!st) st = cnn_gptq_calibrate(&m, &d, 0, (int)o.gptq, &q.hessian);
    }
    if (!st && q.a_static) {
        begin = o.calib > 0 ? (int)o.calib : 300;
        if (begin >= d.n) st = vsq_error(VSQ_EINVAL, "--calib-images %d leaves no images to evaluate (of %d)", begin, d.n);
        if (!st) st = cnn_calibrate(&m, &q, &d, 0, begin, (int)o.threads, progress_calib);
    }
    if (!st) st = cnn_quantize_weights(&m, &q);
    cnn_result r;
    if (!st) st = cnn_evaluate(&m, &q, &d, begin, d.n, (int)o.threads, &r, progress_eval);
    rc = st ? cli_status(st) : write_results(&o, &r, begin, &q, options_json(&o, &m, &pp, preset, &q, d.n));
    cnn_gptq_free(&m, q.hessian);
    cnn_qcfg_free(&q);
    cnn_dataset_free(&d);
    cnn_model_free(&m);
    return rc;
}

const cli_command cmd_eval_cnn = {
    "eval-cnn", run, "ImageNet accuracy of a CNN (TF.js or ONNX), fp32 or VS-Quant PTQ",
    "usage: vsq eval-cnn [--model DIR|FILE.onnx] [--data DIR] [--w SPEC] [--a SPEC] [--cfg W/A/ws/as]\n"
    "                    [--limit N] [--calib-images N] [--gptq N] [--threads T] [--int]\n"
    "                    [--kernel fake|packed]\n"
    "                    [--dw window|channel] [--first flat|pixel|fp32]\n"
    "                    [--preset NAME] [--mean M] [--std S] [--resize half|corners|antialias]\n"
    "                    [--resize-short N] [--round8|--no-round8]\n"
    "                    [--pad keras|symmetric] [--ref-compat]\n"
    "                    --json FILE [--csv FILE]\n"
    "       vsq eval-cnn --sweep table2|table3|table4|table5|variants|all --out DIR [--limit N]\n\n"
    "Runs a CNN - a Keras/TF.js layers model folder (default\n"
    "../shared/models/mobilenet_v1_0.75_224) or an ONNX file (e.g.\n"
    "../shared/models/efficientnet-lite0/model.onnx) - on labels.txt images (default\n"
    "../shared/data/imagenet-val1300) and reports top-1/top-5. Both run on one graph\n"
    "executor (residual Add, Concat, grouped convolutions; see docs/cnn.md).\n"
    "Without --w/--a: fp32. --w SPEC quantizes every convolution / dense weight\n"
    "(vectors along the reduction axis). --a SPEC quantizes their inputs: a per-tensor (pt)\n"
    "spec is calibrated statically on the first --calib-images (default 300) images and\n"
    "accuracy is reported on the rest; a per-vector (vV) spec is dynamic, per vector at run\n"
    "time. 'uintN' activations are unsigned after ReLU / ReLU6 / Clip(0,.) and signed intN\n"
    "elsewhere (the image input, residual sums).\n"
    "--cfg is the paper's W/A/ws/as notation with V=16 (e.g. 4/4U/4/6, 4/4U/-/-).\n"
    "--int runs the quantized layers through the integer vector MAC (vsq_gemm_ref).\n"
    "--gptq N: GPTQ error-compensating weight rounding with Hessians from fp32 passes over\n"
    "images 0..N-1 (N <= --calib-images); accuracy is reported after the calibration split.\n"
    "--kernel packed runs 1x1 convs and dense layers on the packed integer kernels\n"
    "(vsq_gemm_packed) when W and A are both two-level sM with V in 16/32/64 (e.g. --cfg\n"
    "8/8U/6/6, 4/8U/4/6), and depthwise layers (window vectors, V >= kh*kw) with each\n"
    "window quantized on the fly (same outputs as fake-quant, bit for bit); a following\n"
    "ReLU / ReLU6 is applied in the same pass. Other layers keep the fake-quant path.\n"
    "--dw: depthwise vectors along the 3x3 window (default) or across channels.\n"
    "--first: first-layer vectors over the flattened window (default), per pixel, or fp32.\n"
    CNN_PP_USAGE
    "--pad symmetric pads stride-2 'same' convs 1 px each side (TF.js models; a PyTorch-port\n"
    "convention, not Keras); --ref-compat = --pad symmetric --resize corners: it reproduces\n"
    "the shared MobileNetV1 README's reference (72.2/91.3); Keras semantics give more.\n"
    "JSON: {\"top1\",\"top5\",\"n\",\"first_image\",...,\"options\":{every option}}.\n"
    "Exit 0 ok, 2 bad input (including an unsupported ONNX operator or attribute).\n"};
