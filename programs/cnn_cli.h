/* programs/cnn_cli.h - CNN options shared by eval-cnn and sensitivity:
 * the image preprocessing (presets and overrides) and its JSON record. */
#ifndef VSQ_CNN_CLI_H
#define VSQ_CNN_CLI_H

#include <cjson/cJSON.h>

#include "vsq/cnn.h"

typedef struct {
    const char *preset, *resize, *mean, *std;
    long short_side;
    int round8; /* -1: the preset's */
} cnn_pp_opts;

/* Consume argv[*i] if it is a preprocessing flag: returns 1 (and *rc != 0
 * on a bad value), else 0. */
int cnn_pp_opt(int argc, char **argv, int *i, cnn_pp_opts *o, int *rc);
/* The model's preprocessing: --preset (or the model's own: TF.js ->
 * mobilenet, an ONNX file named *efficientnet* -> efficientnet), then the
 * overrides. *name receives the preset used. Returns a CLI exit code. */
int cnn_pp_build(const cnn_pp_opts *o, const char *model_path, const cnn_model *m, cnn_preproc *p,
                 const char **name);
/* Add the preprocessing fields to a JSON object. */
void cnn_pp_json(cJSON *j, const cnn_preproc *p, const char *preset);

#define CNN_PP_USAGE                                                                              \
    "Preprocessing: --preset mobilenet|efficientnet|imagenet (default: by model - TF.js ->\n"      \
    "mobilenet, an .onnx named *efficientnet* -> efficientnet, other ONNX -> mobilenet with a\n"  \
    "note), then overrides: --mean M|R,G,B --std S|R,G,B (x in 0..255 -> (x-mean)/std),\n"        \
    "--resize half|corners|antialias (bilinear sampling; antialias = PIL-style), --resize-short\n" \
    "N (shorter side before the centre crop; default 256 for 224), --round8|--no-round8\n"         \
    "(round the resized image to 8 bits).\n"

#endif
