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

vsq_status cnn_image_load(const char *path, int size, cnn_resize mode, float *out) {
    unsigned char *rgb;
    int w, h;
    vsq_status st = decode_jpeg(path, &rgb, &w, &h);
    if (st) return st;
    /* resize so the shorter side is 256 (for size 224; scaled with size) */
    int short_side = (int)lround(size * 256.0 / 224.0);
    int rw = w <= h ? short_side : (int)lround((double)w * short_side / h);
    int rh = w <= h ? (int)lround((double)h * short_side / w) : short_side;
    int x0 = (rw - size) / 2, y0 = (rh - size) / 2;
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
                out[((size_t)y * size + x) * 3 + c] = v / 127.5f - 1.0f;
            }
        }
    }
    free(rgb);
    return VSQ_OK;
}
