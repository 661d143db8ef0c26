/* IDX files (LeCun's MNIST format, also Fashion-MNIST), gzip or plain:
 * a big-endian header of magic 0x00 0x00 <type 0x08 = u8> <ndim>, ndim
 * big-endian uint32 sizes, then the data. zlib's gzread reads both
 * compressed and plain files. Every size is checked against the file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "train/train.h"

/* Read exactly `len` bytes; a short read is a truncated file. */
static vsq_status read_exact(gzFile g, const char *path, void *buf, size_t len, const char *what) {
    uint8_t *p = buf;
    while (len) {
        unsigned chunk = len > (1u << 30) ? (1u << 30) : (unsigned)len;
        int r = gzread(g, p, chunk);
        if (r < 0) {
            int e;
            const char *m = gzerror(g, &e);
            return vsq_error(VSQ_EFORMAT, "%s: %s: corrupt gzip stream (%s)", path, what, m);
        }
        if (r == 0) return vsq_error(VSQ_EFORMAT, "%s: truncated: file ends inside the %s", path, what);
        p += r;
        len -= (size_t)r;
    }
    return VSQ_OK;
}

/* Open, check the magic and dimension count, return the sizes. */
static vsq_status idx_open(const char *path, int want_ndim, gzFile *out, uint32_t *dims) {
    struct stat sb;
    if (stat(path, &sb) != 0)
        return vsq_error(VSQ_EIO, "%s: cannot open (%s)", path, strerror(errno));
    gzFile g = gzopen(path, "rb");
    if (!g) return vsq_error(VSQ_EIO, "%s: cannot open (%s)", path, strerror(errno));
    uint8_t magic[4];
    vsq_status st = read_exact(g, path, magic, 4, "IDX header");
    if (!st && (magic[0] || magic[1]))
        st = vsq_error(VSQ_EFORMAT, "%s: not an IDX file (magic %02x %02x %02x %02x)", path,
                       magic[0], magic[1], magic[2], magic[3]);
    if (!st && magic[2] != 0x08)
        st = vsq_error(VSQ_EFORMAT, "%s: IDX element type 0x%02x, only 0x08 (uint8) is supported",
                       path, magic[2]);
    if (!st && magic[3] != want_ndim)
        st = vsq_error(VSQ_EFORMAT, "%s: IDX has %d dimensions, expected %d (%s)", path, magic[3],
                       want_ndim, want_ndim == 3 ? "an image file" : "a label file");
    uint8_t raw[12];
    if (!st) st = read_exact(g, path, raw, 4 * (size_t)want_ndim, "IDX dimensions");
    for (int i = 0; !st && i < want_ndim; i++) {
        dims[i] = (uint32_t)raw[4 * i] << 24 | (uint32_t)raw[4 * i + 1] << 16 |
                  (uint32_t)raw[4 * i + 2] << 8 | raw[4 * i + 3];
        if (dims[i] == 0) st = vsq_error(VSQ_EFORMAT, "%s: IDX dimension %d is 0", path, i);
    }
    if (st) { gzclose(g); return st; }
    *out = g;
    return VSQ_OK;
}

/* Trailing bytes after the declared data mean the header lies. */
static vsq_status expect_end(gzFile g, const char *path) {
    uint8_t extra;
    int r = gzread(g, &extra, 1);
    if (r > 0) return vsq_error(VSQ_EFORMAT, "%s: more data than the IDX header declares", path);
    if (r < 0) return vsq_error(VSQ_EFORMAT, "%s: corrupt gzip stream at the end", path);
    return VSQ_OK;
}

static vsq_status read_images(const char *path, tr_dataset *d) {
    gzFile g;
    uint32_t dims[3];
    vsq_status st = idx_open(path, 3, &g, dims);
    if (st) return st;
    if (dims[1] > 4096 || dims[2] > 4096 || dims[0] > 100000000u) {
        gzclose(g);
        return vsq_error(VSQ_EFORMAT, "%s: implausible image shape %ux%ux%u", path, dims[0], dims[1], dims[2]);
    }
    size_t px = (size_t)dims[1] * dims[2], total;
    if (__builtin_mul_overflow(px, (size_t)dims[0], &total)) {
        gzclose(g);
        return vsq_error(VSQ_EFORMAT, "%s: image data size overflows", path);
    }
    d->pixels = malloc(total);
    if (!d->pixels) { gzclose(g); return vsq_error(VSQ_ENOMEM, "%s: no memory for %zu bytes", path, total); }
    st = read_exact(g, path, d->pixels, total, "image data");
    if (!st) st = expect_end(g, path);
    gzclose(g);
    d->n = (int)dims[0], d->h = (int)dims[1], d->w = (int)dims[2];
    return st;
}

static vsq_status read_labels(const char *path, tr_dataset *d) {
    gzFile g;
    uint32_t n;
    vsq_status st = idx_open(path, 1, &g, &n);
    if (st) return st;
    if ((int)n != d->n) {
        gzclose(g);
        return vsq_error(VSQ_EFORMAT, "%s: %u labels for %d images", path, n, d->n);
    }
    d->labels = malloc(n);
    if (!d->labels) { gzclose(g); return vsq_error(VSQ_ENOMEM, "%s: no memory", path); }
    st = read_exact(g, path, d->labels, n, "label data");
    if (!st) st = expect_end(g, path);
    gzclose(g);
    for (uint32_t i = 0; !st && i < n; i++)
        if (d->labels[i] > 9)
            st = vsq_error(VSQ_EFORMAT, "%s: label %u of item %u is not a class 0..9", path, d->labels[i], i);
    return st;
}

vsq_status tr_idx_load(const char *images_path, const char *labels_path, tr_dataset *out) {
    *out = (tr_dataset){0};
    vsq_status st = read_images(images_path, out);
    if (!st) st = read_labels(labels_path, out);
    if (st) tr_dataset_free(out);
    return st;
}

const char *tr_fmnist_default_dir(void) {
    const char *env = getenv("VSQ_FMNIST");
    return env && *env ? env : "/usr/share/datasets/fashion-mnist";
}

vsq_status tr_fmnist_load(const char *dir, const char *split, tr_dataset *out) {
    *out = (tr_dataset){0};
    const char *d = dir ? dir : tr_fmnist_default_dir();
    char img[4096], lab[4096];
    snprintf(img, sizeof img, "%s/%s-images-idx3-ubyte.gz", d, split);
    snprintf(lab, sizeof lab, "%s/%s-labels-idx1-ubyte.gz", d, split);
    struct stat sb;
    if (stat(d, &sb) != 0)
        return vsq_error(VSQ_EIO, "%s: Fashion-MNIST not found; install the Debian package "
                                  "dataset-fashion-mnist (scripts/setup.sh) or pass --data DIR", d);
    vsq_status st = tr_idx_load(img, lab, out);
    if (!st && (out->h != 28 || out->w != 28)) {
        st = vsq_error(VSQ_EFORMAT, "%s: images are %dx%d, Fashion-MNIST has 28x28", img, out->h, out->w);
        tr_dataset_free(out);
    }
    return st;
}

void tr_dataset_free(tr_dataset *d) {
    free(d->pixels);
    free(d->labels);
    *d = (tr_dataset){0};
}
