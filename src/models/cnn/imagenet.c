/* The evaluation set: DIR/labels.txt lines "images/FILE LABEL" (label in
 * sorted-wnid order, 0..999), images decoded and preprocessed once per run
 * into one float cache (1300 x 224x224x3 floats = 0.8 GB at most). */
#include "models/cnn/cnn.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static vsq_status add_line(cnn_dataset *d, const char *dir, const char *line, int lineno,
                           const char *lpath, int *cap) {
    char file[1024];
    int label;
    char extra;
    if (sscanf(line, "%1023s %d %c", file, &label, &extra) != 2 || label < 0 || label > 99999)
        return vsq_error(VSQ_EFORMAT, "%s:%d: expected 'FILE LABEL', got '%.60s'", lpath, lineno, line);
    if (d->n == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        char **p = realloc(d->path, (size_t)*cap * sizeof *p);
        if (p) d->path = p;
        int *l = realloc(d->label, (size_t)*cap * sizeof *l);
        if (l) d->label = l;
        if (!p || !l) return vsq_error(VSQ_ENOMEM, "no memory for %s", lpath);
    }
    size_t len = strlen(dir) + strlen(file) + 2;
    d->path[d->n] = malloc(len);
    if (!d->path[d->n]) return vsq_error(VSQ_ENOMEM, "no memory for %s", lpath);
    snprintf(d->path[d->n], len, "%s/%s", dir, file);
    d->label[d->n++] = label;
    return VSQ_OK;
}

vsq_status cnn_dataset_open(const char *dir, int limit, cnn_dataset *d) {
    memset(d, 0, sizeof *d);
    char lpath[4096], line[2048];
    snprintf(lpath, sizeof lpath, "%s/labels.txt", dir);
    FILE *f = fopen(lpath, "r");
    if (!f) return vsq_error(VSQ_EIO, "cannot open %s", lpath);
    int cap = 0, lineno = 0;
    vsq_status st = VSQ_OK;
    while (!st && (limit <= 0 || d->n < limit) && fgets(line, sizeof line, f)) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == 0) continue; /* blank line */
        st = add_line(d, dir, line, lineno, lpath, &cap);
    }
    fclose(f);
    if (!st && d->n == 0) st = vsq_error(VSQ_EFORMAT, "%s: no images listed", lpath);
    if (st) cnn_dataset_free(d);
    return st;
}

vsq_status cnn_dataset_cache(cnn_dataset *d, int size, cnn_resize mode,
                             void (*progress)(size_t, size_t)) {
    cnn_preproc p;
    cnn_preproc_preset("mobilenet", size, &p);
    p.mode = mode;
    return cnn_dataset_cache_pp(d, &p, progress);
}

vsq_status cnn_dataset_cache_pp(cnn_dataset *d, const cnn_preproc *pp,
                                void (*progress)(size_t, size_t)) {
    int size = pp->size;
    size_t per = (size_t)size * size * 3;
    free(d->pix);
    d->size = size;
    d->pix = malloc(per * d->n * sizeof(float));
    if (!d->pix) return vsq_error(VSQ_ENOMEM, "no memory to cache %d images", d->n);
    vsq_status st = VSQ_OK;
    char msg[600] = "";
    int done = 0;
#pragma omp parallel for schedule(dynamic, 4)
    for (int i = 0; i < d->n; i++) {
        vsq_status s;
#pragma omp atomic read
        s = st;
        if (s) continue;
        s = cnn_image_load_pp(d->path[i], pp, d->pix + per * i);
#pragma omp critical(cnn_cache)
        {
            if (s && !st) {
                st = s;
                snprintf(msg, sizeof msg, "%s", vsq_last_error());
            }
            done++;
            if (progress) progress((size_t)done, (size_t)d->n);
        }
    }
    if (st) {
        free(d->pix);
        d->pix = NULL;
        return vsq_error(st, "%s", msg);
    }
    return VSQ_OK;
}

void cnn_dataset_free(cnn_dataset *d) {
    for (int i = 0; i < d->n; i++) free(d->path[i]);
    free(d->path);
    free(d->label);
    free(d->pix);
    memset(d, 0, sizeof *d);
}
