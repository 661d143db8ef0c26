/* The .vsq container: byte layout, round trips through the quantizer for
 * every scale kind, corruption and truncation detection; plus its building
 * blocks (CRC-32, N-bit packing, fp16 conversion). */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io.h"
#include "vsq/vsq.h"

/* ---- building blocks ---------------------------------------------------- */

static void test_crc32(void **state) {
    assert_int_equal(vsq_crc32(0, "123456789", 9), 0xCBF43926u); /* standard check value */
    assert_int_equal(vsq_crc32(0, "", 0), 0);
    /* chaining equals one pass */
    assert_int_equal(vsq_crc32(vsq_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

static void test_bitpack(void **state) {
    /* hand-checked: {1,2,3} at 2 bits, LSB first -> 01 | 10<<2 | 11<<4 = 0x39 */
    const uint16_t v[3] = {1, 2, 3};
    uint8_t b[2] = {0xAA, 0xAA};
    vsq_pack_bits(v, 3, 2, b);
    assert_int_equal(b[0], 0x39);
    assert_int_equal(vsq_packed_bytes(3, 2), 1);
    /* {5, 6} at 3 bits -> 101 | 110<<3 = 0x35 */
    const uint16_t w[2] = {5, 6};
    vsq_pack_bits(w, 2, 3, b);
    assert_int_equal(b[0], 0x35);
    /* round trip at every width, odd counts */
    uint16_t src[37], dst[37];
    uint8_t packed[80];
    for (int bits = 1; bits <= 16; bits++) {
        for (int i = 0; i < 37; i++) src[i] = (uint16_t)((i * 40503u + 17u * bits) & ((1u << bits) - 1));
        assert_int_equal(vsq_packed_bytes(37, bits), (37 * bits + 7) / 8);
        vsq_pack_bits(src, 37, bits, packed);
        vsq_unpack_bits(packed, 37, bits, dst);
        assert_memory_equal(src, dst, sizeof src);
    }
}

static void test_half(void **state) {
    assert_int_equal(vsq_f32_to_f16(1.0f), 0x3C00);
    assert_int_equal(vsq_f32_to_f16(-2.0f), 0xC000);
    assert_int_equal(vsq_f32_to_f16(65504.0f), 0x7BFF);
    assert_int_equal(vsq_f32_to_f16(65520.0f), 0x7C00);    /* rounds to Inf */
    assert_int_equal(vsq_f32_to_f16(0x1p-24f), 0x0001);    /* smallest subnormal */
    assert_int_equal(vsq_f32_to_f16(0x1p-25f), 0x0000);    /* tie -> even (0) */
    assert_int_equal(vsq_f32_to_f16(0x1.8p-25f), 0x0001);
    assert_int_equal(vsq_f32_to_f16(1.0f + 0x1p-11f), 0x3C00); /* tie -> even */
    assert_int_equal(vsq_f32_to_f16(1.0f + 0x3p-11f), 0x3C02); /* tie -> even (up) */
    assert_int_equal(vsq_f32_to_f16(0x1.ffcp-15f), 0x0400);    /* subnormal carries to normal */
    /* every finite half converts to float and back exactly */
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF)) continue; /* NaN */
        float f = vsq_f16_to_f32((uint16_t)h);
        assert_int_equal(vsq_f32_to_f16(f), h);
    }
    assert_true(vsq_f16_to_f32(0x3555) == 0x1.554p-2f);
}

/* ---- hand-built file: exact bytes -------------------------------------- */

/* int2:pt, shape (3,), codes {-1, 0, 1}, scale 0.5. */
static void tiny_file(vsq_qfile *f, int16_t *codes, float *scale) {
    memset(f, 0, sizeof *f);
    assert_int_equal(vsq_format_parse("int2:pt", &f->q.fmt), VSQ_OK);
    codes[0] = -1, codes[1] = 0, codes[2] = 1;
    scale[0] = 0.5f;
    f->ndim = 1;
    f->shape[0] = 3;
    f->axis = -1;
    f->q.rows = 1, f->q.cols = 3, f->q.channels = 1, f->q.vec_len = 3, f->q.n_vec = 1;
    f->q.codes = codes, f->q.scale = scale, f->q.n_scale = 1;
}

static void test_exact_bytes(void **state) {
    vsq_qfile f, g;
    int16_t codes[3];
    float scale[1];
    tiny_file(&f, codes, scale);
    uint8_t *buf;
    size_t len;
    assert_int_equal(vsq_container_encode(&f, &buf, &len), VSQ_OK);
    static const uint8_t head[] = {'V', 'S', 'Q', 'T', 1, 0, 16, 0};
    assert_int_equal(len, 97);
    assert_memory_equal(buf, head, 8);
    assert_memory_equal(buf + 8, "int2:pt:fp32:max", 16);
    static const uint8_t fields[] = {0, 2, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(buf + 24, fields, sizeof fields);
    assert_int_equal(buf[40], 1);  /* rows */
    assert_int_equal(buf[48], 3);  /* cols */
    assert_int_equal(buf[88], 0x13); /* codes 11 00 01 (two's complement, LSB first) */
    static const uint8_t tail[] = {0x00, 0x00, 0x00, 0x3F, 0xE8, 0xB4, 0xA8, 0x6E};
    assert_memory_equal(buf + 89, tail, 8); /* 0.5f, then CRC-32 as zlib computes it */
    assert_int_equal(vsq_container_decode(buf, len, "tiny", &g), VSQ_OK);
    assert_int_equal(g.ndim, 1);
    assert_int_equal(g.axis, 0);
    assert_int_equal(g.shape[0], 3);
    assert_memory_equal(g.q.codes, codes, sizeof codes);
    assert_true(g.q.scale[0] == 0.5f);
    vsq_qfile_free(&g);
    /* non-zero padding bits after the 6 code bits, with a valid CRC: rejected
     * (found by fuzz_container: the file would not re-encode identically) */
    buf[88] |= 0x80;
    uint32_t crc = vsq_crc32(0, buf, 93);
    for (int i = 0; i < 4; i++) buf[93 + i] = (uint8_t)(crc >> (8 * i));
    assert_int_equal(vsq_container_decode(buf, len, "pad", &g), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), "padding"));
    free(buf);
}

static void test_encoder_rejects(void **state) {
    vsq_qfile f;
    int16_t codes[3];
    float scale[1];
    uint8_t *buf;
    size_t len;
    tiny_file(&f, codes, scale);
    codes[0] = -2; /* int2 symmetric: -1..1 only */
    assert_int_equal(vsq_container_encode(&f, &buf, &len), VSQ_EINVAL);
    assert_non_null(strstr(vsq_last_error(), "code -2"));
    tiny_file(&f, codes, scale);
    scale[0] = NAN;
    assert_int_equal(vsq_container_encode(&f, &buf, &len), VSQ_EINVAL);
    tiny_file(&f, codes, scale);
    f.q.cols = 2; /* disagrees with shape */
    assert_int_equal(vsq_container_encode(&f, &buf, &len), VSQ_EINVAL);
    tiny_file(&f, codes, scale);
    f.axis = 1; /* out of range for 1-d */
    assert_int_equal(vsq_container_encode(&f, &buf, &len), VSQ_EINVAL);
    tiny_file(&f, codes, scale);
    f.q.n_scale = 2;
    assert_int_equal(vsq_container_encode(&f, &buf, &len), VSQ_EINVAL);
    /* e8m0 scales must be powers of two */
    tiny_file(&f, codes, scale);
    assert_int_equal(vsq_format_parse("int2:v3:e8m0", &f.q.fmt), VSQ_OK);
    scale[0] = 0.75f;
    assert_int_equal(vsq_container_encode(&f, &buf, &len), VSQ_EINVAL);
    scale[0] = 0x1p-127f; /* smallest e8m0 value is fine */
    assert_int_equal(vsq_container_encode(&f, &buf, &len), VSQ_OK);
    free(buf);
}

/* ---- round trips through the quantizer --------------------------------- */

static uint64_t rng = 88172645463325252ull;
static float gauss(void) {
    double u[2];
    for (int i = 0; i < 2; i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        u[i] = ((rng >> 11) + 0.5) * 0x1p-53;
    }
    return (float)(sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]));
}

static const char *formats[] = {
    "int8:pt", "int8:pc", "uint4:v16:fp32", "int4:v16:fp16", "int4:v32:e8m0", "int4f:v16:s6",
    "int3:v8:s6r@pt", "int4:v16:s4c", "int2:v1:s8", "uint8:v16:s16:mse", "int8f:v20:fp32",
};

/* Tensor (4, 6, 20), vector axis last: rows 24, cols 20 (v16 leaves a
 * final 4-element vector), channels 4. */
static void quantize_file(const char *spec, vsq_qfile *f, float *x) {
    memset(f, 0, sizeof *f);
    vsq_format fmt;
    assert_int_equal(vsq_format_parse(spec, &fmt), VSQ_OK);
    for (int i = 0; i < 480; i++) x[i] = gauss() * (i % 37 == 0 ? 8.0f : 1.0f);
    for (int i = 100; i < 120; i++) x[i] = 0; /* an all-zero vector */
    f->ndim = 3;
    f->shape[0] = 4, f->shape[1] = 6, f->shape[2] = 20;
    f->axis = 2;
    assert_int_equal(vsq_quantize(&fmt, x, 24, 20, 4, &f->q), VSQ_OK);
}

static void test_roundtrip_formats(void **state) {
    float x[480], y1[480], y2[480];
    for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++) {
        vsq_qfile f, g;
        quantize_file(formats[k], &f, x);
        uint8_t *buf;
        size_t len;
        if (vsq_container_encode(&f, &buf, &len) != VSQ_OK)
            fail_msg("%s: encode: %s", formats[k], vsq_last_error());
        assert_int_equal(vsq_container_decode(buf, len, formats[k], &g), VSQ_OK);
        const vsq_qtensor *a = &f.q, *b = &g.q;
        assert_true(g.ndim == 3 && g.axis == 2 && g.shape[1] == 6);
        assert_true(a->rows == b->rows && a->cols == b->cols && a->channels == b->channels);
        assert_true(a->vec_len == b->vec_len && a->n_vec == b->n_vec && a->n_scale == b->n_scale);
        assert_memory_equal(a->codes, b->codes, 480 * sizeof(int16_t));
        assert_memory_equal(a->scale, b->scale, a->n_scale * sizeof(float)); /* bit-exact */
        if (a->fmt.scale == VSQ_SCALE_TWO_LEVEL) {
            assert_int_equal(a->n_gamma, b->n_gamma);
            assert_memory_equal(a->sq, b->sq, a->n_scale * sizeof(uint16_t));
            assert_memory_equal(a->gamma, b->gamma, a->n_gamma * sizeof(float));
        }
        assert_int_equal(vsq_dequantize(a, y1), VSQ_OK);
        assert_int_equal(vsq_dequantize(b, y2), VSQ_OK);
        assert_memory_equal(y1, y2, sizeof y1);
        /* size: header + ceil(480 N / 8) code bytes + scales + CRC */
        size_t code_bytes = (480 * (size_t)a->fmt.bits + 7) / 8;
        assert_true(len > code_bytes && len < code_bytes + 200 + 4 * a->n_scale + 4 * a->n_gamma);
        /* re-encoding the decoded file gives the same bytes */
        uint8_t *buf2;
        size_t len2;
        assert_int_equal(vsq_container_encode(&g, &buf2, &len2), VSQ_OK);
        assert_int_equal(len, len2);
        assert_memory_equal(buf, buf2, len);
        free(buf2);
        free(buf);
        vsq_qfile_free(&g);
        vsq_qtensor_free(&f.q);
    }
}

/* Every single-bit flip and every truncation of a file is rejected. */
static void test_corruption(void **state) {
    float x[480];
    const char *specs[] = {"int4:v16:s6", "int4:v32:e8m0"};
    for (int s = 0; s < 2; s++) {
        vsq_qfile f, g;
        quantize_file(specs[s], &f, x);
        uint8_t *buf;
        size_t len;
        assert_int_equal(vsq_container_encode(&f, &buf, &len), VSQ_OK);
        for (size_t bit = 0; bit < 8 * len; bit++) {
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            vsq_status st = vsq_container_decode(buf, len, "flip", &g);
            if (st != VSQ_EFORMAT && st != VSQ_EUNSUPPORTED)
                fail_msg("%s: bit %zu flipped: status %d", specs[s], bit, st);
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        for (size_t n = 0; n < len; n++) {
            vsq_status st = vsq_container_decode(buf, n, "cut", &g);
            if (st != VSQ_EFORMAT) fail_msg("%s: truncated to %zu: status %d", specs[s], n, st);
        }
        uint8_t *longer = malloc(len + 1);
        memcpy(longer, buf, len);
        longer[len] = 0;
        assert_int_equal(vsq_container_decode(longer, len + 1, "long", &g), VSQ_EFORMAT);
        assert_int_equal(vsq_container_decode(buf, len, "ok", &g), VSQ_OK);
        vsq_qfile_free(&g);
        free(longer);
        free(buf);
        vsq_qtensor_free(&f.q);
    }
}

static void test_save_load(void **state) {
    char dir[] = "/tmp/vsq_test_container_XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.vsq", dir);
    float x[480];
    vsq_qfile f, g;
    quantize_file("int4:v16:s6", &f, x);
    assert_int_equal(vsq_container_save(path, &f), VSQ_OK);
    assert_int_equal(vsq_container_load(path, &g), VSQ_OK);
    assert_memory_equal(f.q.codes, g.q.codes, 480 * sizeof(int16_t));
    vsq_qfile_free(&g);
    /* truncate the file on disk: the error names it */
    assert_int_equal(truncate(path, 100), 0);
    assert_int_equal(vsq_container_load(path, &g), VSQ_EFORMAT);
    assert_non_null(strstr(vsq_last_error(), path));
    assert_non_null(strstr(vsq_last_error(), "truncated"));
    unlink(path);
    rmdir(dir);
    vsq_qtensor_free(&f.q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32),          cmocka_unit_test(test_bitpack),
        cmocka_unit_test(test_half),           cmocka_unit_test(test_exact_bytes),
        cmocka_unit_test(test_encoder_rejects), cmocka_unit_test(test_roundtrip_formats),
        cmocka_unit_test(test_corruption),     cmocka_unit_test(test_save_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
