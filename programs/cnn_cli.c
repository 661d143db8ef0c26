/* CNN command-line options shared by eval-cnn and sensitivity (cnn_cli.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cnn_cli.h"

int cnn_pp_opt(int argc, char **argv, int *i, cnn_pp_opts *o, int *rc) {
    const char *v;
    *rc = CLI_OK;
    if (cli_opt(argc, argv, i, "--preset", &o->preset) || cli_opt(argc, argv, i, "--mean", &o->mean) ||
        cli_opt(argc, argv, i, "--std", &o->std) || cli_opt(argc, argv, i, "--resize", &o->resize))
        return 1;
    if (cli_opt(argc, argv, i, "--resize-short", &v)) {
        if (cli_parse_long(v, 1, 65536, &o->short_side)) *rc = cli_fail(CLI_BADINPUT, "bad --resize-short '%s'", v);
        return 1;
    }
    if (!strcmp(argv[*i], "--round8") || !strcmp(argv[*i], "--no-round8")) {
        o->round8 = argv[*i][2] == 'r';
        return 1;
    }
    return 0;
}

/* "v" or "v1,v2,v3" -> three per-channel values. */
static int parse_triple(const char *s, const char *flag, float v[3]) {
    char buf[256], *items[4];
    snprintf(buf, sizeof buf, "%s", s);
    int n = cli_split_commas(buf, items, 4);
    if (n != 1 && n != 3) return cli_fail(CLI_BADINPUT, "%s takes one value or three (R,G,B), not '%s'", flag, s);
    for (int c = 0; c < 3; c++) {
        double d;
        if (cli_parse_double(items[n == 3 ? c : 0], &d) || !(d > -1e6 && d < 1e6))
            return cli_fail(CLI_BADINPUT, "bad %s value '%s'", flag, items[n == 3 ? c : 0]);
        v[c] = (float)d;
    }
    return CLI_OK;
}

int cnn_pp_build(const cnn_pp_opts *o, const char *model_path, const cnn_model *m, cnn_preproc *p,
                 const char **name) {
    int onnx = !strcmp(m->format, "onnx");
    *name = o->preset;
    if (!*name) {
        *name = onnx && strstr(model_path, "efficientnet") ? "efficientnet" : "mobilenet";
        if (onnx && strcmp(*name, "efficientnet"))
            fprintf(stderr, "note: no --preset given for %s: using 'mobilenet' (x/127.5 - 1)\n", model_path);
    }
    if (cnn_preproc_preset(*name, m->in_h, p)) return cli_fail(CLI_BADINPUT, "--preset: %s", vsq_last_error());
    if (o->resize) {
        if (!strcmp(o->resize, "half")) p->mode = CNN_RESIZE_HALF_PIXEL;
        else if (!strcmp(o->resize, "corners")) p->mode = CNN_RESIZE_ALIGN_CORNERS;
        else if (!strcmp(o->resize, "antialias")) p->mode = CNN_RESIZE_ANTIALIAS;
        else return cli_fail(CLI_BADINPUT, "--resize must be half, corners or antialias, not '%s'", o->resize);
    }
    if (o->round8 >= 0) p->round8 = o->round8;
    if (o->short_side > 0) {
        if (o->short_side < m->in_h)
            return cli_fail(CLI_BADINPUT, "--resize-short %ld is below the crop size %d", o->short_side, m->in_h);
        p->short_ratio = (double)o->short_side / m->in_h;
    }
    int rc = o->mean ? parse_triple(o->mean, "--mean", p->mean) : CLI_OK;
    if (!rc && o->std) rc = parse_triple(o->std, "--std", p->std);
    for (int c = 0; !rc && c < 3; c++)
        if (!(p->std[c] > 0)) rc = cli_fail(CLI_BADINPUT, "--std must be positive");
    return rc;
}

void cnn_pp_json(cJSON *j, const cnn_preproc *p, const char *preset) {
    static const char *const modes[] = {"half", "corners", "antialias"};
    cJSON_AddStringToObject(j, "preset", preset);
    cJSON_AddStringToObject(j, "resize", modes[p->mode]);
    cJSON_AddNumberToObject(j, "resize_short", (double)lround(p->size * p->short_ratio));
    cJSON_AddNumberToObject(j, "crop", p->size);
    cJSON_AddNumberToObject(j, "round8", p->round8);
    cJSON_AddItemToObject(j, "mean", cJSON_CreateFloatArray(p->mean, 3));
    cJSON_AddItemToObject(j, "std", cJSON_CreateFloatArray(p->std, 3));
}
