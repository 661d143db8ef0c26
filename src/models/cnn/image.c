/* JPEG -> network input, as ../shared/README.md specifies: decode to RGB,
 * bilinear resize so the shorter side is 256, centre crop 224x224,
 * x/127.5 - 1. Bilinear uses half-pixel centres (align_corners=False, the
 * PIL / TF2 convention): src = (dst + 0.5) * in/out - 0.5, clamped; the
 * resized image stays float (no rounding back to uint8). */
#include "models/cnn/cnn.h"

#include <stdio.h> /* before jpeglib.h, which uses FILE */

#include <jpeglib.h>
#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
} jpeg_err;

static void on_jpeg_error(j_common_ptr cinfo) {
    jpeg_err *e = (jpeg_err *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jump, 1);
}

static void on_jpeg_warning(j_common_ptr cinfo) { (void)cinfo; }

/* Decode to 8-bit RGB; *rgb is malloc'd h*w*3. */
static vsq_status decode_jpeg(const char *path, unsigned char **rgb, int *w, int *h) {
    FILE *f = fopen(path, "rb");
    if (!f) return vsq_error(VSQ_EIO, "cannot open image %s", path);
    struct jpeg_decompress_struct cinfo;
    jpeg_err err;
    unsigned char *volatile out = NULL;
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = on_jpeg_error;
    err.pub.output_message = on_jpeg_warning;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        fclose(f);
        free(out);
        return vsq_error(VSQ_EFORMAT, "corrupt JPEG %s: %s", path, err.msg);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, f);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = JCS_RGB; /* grayscale and YCbCr convert; CMYK errors */
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_components != 3 || cinfo.output_width > 16384 || cinfo.output_height > 16384) {
        jpeg_destroy_decompress(&cinfo);
        fclose(f);
        return vsq_error(VSQ_EUNSUPPORTED, "image %s: not convertible to RGB", path);
    }
    size_t stride = (size_t)cinfo.output_width * 3;
    out = malloc(stride * cinfo.output_height);
    if (!out) longjmp(err.jump, 1);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    *w = (int)cinfo.output_width, *h = (int)cinfo.output_height;
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    fclose(f);
    *rgb = out;
    return VSQ_OK;
}

/* Source coordinate -> (index, weight of index+1). Half-pixel centres:
 * src = (dst + 0.5) * in/out - 0.5; align-corners and asymmetric (TF1
 * legacy) both use src = dst * scale, with their own scale. */
static void src_coord(cnn_resize mode, int dst, double scale, int in, int *i0, float *frac) {
    double s = mode == CNN_RESIZE_HALF_PIXEL ? (dst + 0.5) * scale - 0.5 : dst * scale;
    if (s < 0) s = 0;
    int i = (int)floor(s);
    if (i > in - 1) i = in - 1;
    *i0 = i;
    *frac = (float)(s - i);
}

/* PIL-style antialiased bilinear ("triangle filter") weights of output
 * index dst for a resize in -> out: the filter widens by in/out when
 * downscaling so every source pixel contributes. Returns the first source
 * index; w[0..*n) are normalised weights. */
static int aa_weights(int dst, int in, int out, float *w, int *n) {
    double scale = (double)in / out, support = scale > 1 ? scale : 1.0;
    double center = (dst + 0.5) * scale, fs = scale > 1 ? 1.0 / scale : 1.0;
    int lo = (int)(center - support + 0.5), hi = (int)(center + support + 0.5);
    lo = lo < 0 ? 0 : lo, hi = hi > in ? in : hi;
    double sum = 0;
    for (int j = lo; j < hi; j++) {
        double t = fabs((j - center + 0.5) * fs);
        w[j - lo] = (float)(t < 1 ? 1 - t : 0);
        sum += w[j - lo];
    }
    for (int j = lo; j < hi; j++) w[j - lo] = sum > 0 ? (float)(w[j - lo] / sum) : 0.0f;
    *n = hi - lo;
    return lo;
}

static float round8(float v) { return v < 0 ? 0 : v > 255 ? 255 : floorf(v + 0.5f); }

/* Antialiased resize of the crop window [x0, x0+size) x [y0, y0+size) of
 * the (rw x rh)-resized image: horizontal pass over all source rows, then
 * vertical (PIL's order; with round8 each pass is stored as 8 bits, as
 * PIL does for 8-bit images). Output RGB in 0..255, HWC. */
static vsq_status resize_antialias(const unsigned char *rgb, int w, int h, int rw, int rh, int x0, int y0,
                                   int size, int r8, float *out) {
    int maxn = (int)ceil(2.0 * (w > h ? w : h) / (rw < rh ? rw : rh)) + 3;
    float *tmp = malloc((size_t)h * size * 3 * sizeof(float)), *wt = malloc((size_t)maxn * sizeof(float));
    if (!tmp || !wt) { free(tmp); free(wt); return vsq_error(VSQ_ENOMEM, "no memory to resize an image"); }
    for (int x = 0; x < size; x++) {
        int n, lo = aa_weights(x + x0, w, rw, wt, &n);
        for (int y = 0; y < h; y++)
            for (int c = 0; c < 3; c++) {
                float a = 0;
                for (int j = 0; j < n; j++) a += wt[j] * rgb[((size_t)y * w + lo + j) * 3 + c];
                tmp[((size_t)y * size + x) * 3 + c] = r8 ? round8(a) : a;
            }
    }
    for (int y = 0; y < size; y++) {
        int n, lo = aa_weights(y + y0, h, rh, wt, &n);
        for (int x = 0; x < size; x++)
            for (int c = 0; c < 3; c++) {
                float a = 0;
                for (int j = 0; j < n; j++) a += wt[j] * tmp[((size_t)(lo + j) * size + x) * 3 + c];
                out[((size_t)y * size + x) * 3 + c] = r8 ? round8(a) : a;
            }
    }
    free(tmp);
    free(wt);
    return VSQ_OK;
}

/* Point-sampled bilinear (half-pixel or align-corners) of the crop window. */
static void resize_bilinear(const unsigned char *rgb, int w, int h, int rw, int rh, int x0, int y0, int size,
                            cnn_resize mode, int r8, float *out) {
    double sx = (double)w / rw, sy = (double)h / rh;
    if (mode == CNN_RESIZE_ALIGN_CORNERS) sx = (double)(w - 1) / (rw - 1), sy = (double)(h - 1) / (rh - 1);
    for (int y = 0; y < size; y++) {
        int iy;
        float fy;
        src_coord(mode, y + y0, sy, h, &iy, &fy);
        int iy1 = iy + 1 < h ? iy + 1 : h - 1;
        for (int x = 0; x < size; x++) {
            int ix;
            float fx;
            src_coord(mode, x + x0, sx, w, &ix, &fx);
            int ix1 = ix + 1 < w ? ix + 1 : w - 1;
            const unsigned char *p00 = rgb + ((size_t)iy * w + ix) * 3, *p01 = rgb + ((size_t)iy * w + ix1) * 3;
            const unsigned char *p10 = rgb + ((size_t)iy1 * w + ix) * 3, *p11 = rgb + ((size_t)iy1 * w + ix1) * 3;
            for (int c = 0; c < 3; c++) {
                float top = p00[c] + (p01[c] - p00[c]) * fx, bot = p10[c] + (p11[c] - p10[c]) * fx;
                float v = top + (bot - top) * fy;
                out[((size_t)y * size + x) * 3 + c] = r8 ? round8(v) : v;
            }
        }
    }
}

vsq_status cnn_image_load_pp(const char *path, const cnn_preproc *p, float *out) {
    unsigned char *rgb;
    int w, h, size = p->size;
    vsq_status st = decode_jpeg(path, &rgb, &w, &h);
    if (st) return st;
    /* resize so the shorter side is size * short_ratio (256 for 224) */
    int short_side = (int)lround(size * p->short_ratio);
    if (short_side < size) short_side = size;
    int rw = w <= h ? short_side : (int)lround((double)w * short_side / h);
    int rh = w <= h ? (int)lround((double)h * short_side / w) : short_side;
    rw = rw < size ? size : rw, rh = rh < size ? size : rh;
    int x0 = (rw - size) / 2, y0 = (rh - size) / 2;
    if (p->mode == CNN_RESIZE_ANTIALIAS) st = resize_antialias(rgb, w, h, rw, rh, x0, y0, size, p->round8, out);
    else resize_bilinear(rgb, w, h, rw, rh, x0, y0, size, p->mode, p->round8, out);
    free(rgb);
    /* (x - mean) / std; written x / std - 1 when mean == std, the exact
     * float expression that produced MobileNetV1's checked-in results */
    for (size_t i = 0; !st && i < (size_t)size * size; i++)
        for (int c = 0; c < 3; c++)
            out[i * 3 + c] = p->mean[c] == p->std[c] ? out[i * 3 + c] / p->std[c] - 1.0f
                                                     : (out[i * 3 + c] - p->mean[c]) / p->std[c];
    return st;
}

vsq_status cnn_preproc_preset(const char *name, int size, cnn_preproc *p) {
    *p = (cnn_preproc){.size = size, .short_ratio = 256.0 / 224.0, .mode = CNN_RESIZE_HALF_PIXEL};
    if (!strcmp(name, "mobilenet")) { /* x/127.5 - 1, float resize */
        for (int c = 0; c < 3; c++) p->mean[c] = 127.5f, p->std[c] = 127.5f;
        return VSQ_OK;
    }
    if (!strcmp(name, "efficientnet")) { /* ../shared/models/efficientnet-lite0/README.md */
        for (int c = 0; c < 3; c++) p->mean[c] = 127.0f, p->std[c] = 128.0f;
        p->round8 = 1;
        p->mode = CNN_RESIZE_ANTIALIAS;
        return VSQ_OK;
    }
    if (!strcmp(name, "imagenet")) { /* torchvision mean/std */
        static const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
        for (int c = 0; c < 3; c++) p->mean[c] = 255.0f * mean[c], p->std[c] = 255.0f * std[c];
        p->round8 = 1;
        p->mode = CNN_RESIZE_ANTIALIAS;
        return VSQ_OK;
    }
    return vsq_error(VSQ_EINVAL, "unknown preprocessing preset '%s' (mobilenet|efficientnet|imagenet)", name);
}

/* The original MobileNetV1 pipeline (x/127.5 - 1 in floats); the division
 * order matches the code that produced the checked-in results. */
vsq_status cnn_image_load(const char *path, int size, cnn_resize mode, float *out) {
    cnn_preproc p;
    cnn_preproc_preset("mobilenet", size, &p);
    p.mode = mode;
    return cnn_image_load_pp(path, &p, out);
}
