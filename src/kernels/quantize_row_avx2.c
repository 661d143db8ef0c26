/* AVX2 row quantizer: same arithmetic as vsqk_quantize_row_ref (IEEE
 * division x / s, round to nearest ties away, clip), 8 lanes at a time.
 * Partial tail vectors and intNf formats use the scalar code path. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels_internal.h"
#include "quant/quant_internal.h"

static inline float hmax8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

/* Quantize len (multiple of 16) values with scale s; returns max |code|. */
static inline __m256i quant_run(const float *x, size_t len, float s, float qmin, float qmax,
                                int16_t *q, __m256i mx) {
    if (!(s > 0.0f)) {
        memset(q, 0, len * sizeof *q);
        return mx;
    }
    const __m256 vs = _mm256_set1_ps(s), lo = _mm256_set1_ps(qmin), hi = _mm256_set1_ps(qmax);
    const __m256 half = _mm256_set1_ps(0.5f), absm = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256 one = _mm256_set1_ps(1.0f), sgn = _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u));
    for (size_t e = 0; e < len; e += 16) {
        __m256i iv[2];
        for (int h = 0; h < 2; h++) {
            __m256 v = _mm256_div_ps(_mm256_loadu_ps(x + e + 8 * h), vs);
            __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
            __m256 d = _mm256_and_ps(_mm256_sub_ps(v, t), absm);
            __m256 adj = _mm256_or_ps(one, _mm256_and_ps(v, sgn)); /* copysign(1, v) */
            t = _mm256_add_ps(t, _mm256_and_ps(_mm256_cmp_ps(d, half, _CMP_GE_OQ), adj));
            t = _mm256_min_ps(_mm256_max_ps(t, lo), hi);
            iv[h] = _mm256_cvttps_epi32(t);
            mx = _mm256_max_epi32(mx, _mm256_abs_epi32(iv[h]));
        }
        __m256i p = _mm256_permute4x64_epi64(_mm256_packs_epi32(iv[0], iv[1]), 0xd8);
        _mm256_storeu_si256((__m256i *)(q + e), p);
    }
    return mx;
}

void vsqk_quantize_row_avx2(const vsq_format *fmt, const float *x, size_t k, size_t kp,
                            int16_t *codes, double *scale, float *gamma, int *max_code,
                            uint32_t *max_scale) {
    if (fmt->elem == VSQ_ELEM_INTF || k % (size_t)fmt->vec_len) {
        vsqk_quantize_row_ref(fmt, x, k, kp, codes, scale, gamma, max_code, max_scale);
        return;
    }
    size_t v = (size_t)fmt->vec_len, nv = k / v, nvp = kp / v;
    int two = fmt->scale == VSQ_SCALE_TWO_LEVEL;
    float qref = (float)vsq_format_qref(fmt);
    float qmin = (float)vsq_format_qmin(fmt), qmax = (float)vsq_format_qmax(fmt);
    /* uintN calibrates on the positive peak (as vsq_calib_alpha) */
    const __m256 absm = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const int uns = fmt->elem == VSQ_ELEM_UINT;
    float smax = 0.0f;
    for (size_t j = 0; j < nv; j++) { /* eq. 7a, 7b */
        const float *xv = x + j * v;
        __m256 m = _mm256_setzero_ps();
        if (uns)
            for (size_t e = 0; e < v; e += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(xv + e));
        else
            for (size_t e = 0; e < v; e += 8)
                m = _mm256_max_ps(m, _mm256_and_ps(_mm256_loadu_ps(xv + e), absm));
        float peak = hmax8(m), s;
        if (two) {
            s = peak / qref;
            if (s > smax) smax = s;
        } else {
            s = peak > 0.0f ? peak / qref : 0.0f;
            s = vsq_scale_store(fmt->scale, s);
        }
        scale[j] = s;
    }
    float g = 1.0f;
    long smax_code = two ? (1L << fmt->scale_bits) - 1 : 0;
    if (two) g = smax / (float)smax_code;
    __m256i mx = _mm256_setzero_si256();
    uint32_t ms = 0;
    for (size_t j = 0; j < nv; j++) {
        float s = (float)scale[j];
        if (two) {
            long c = 0;
            if (s > 0.0f && g > 0.0f) {
                c = lroundf(s / g);
                if (c > smax_code) c = smax_code;
            } else {
                s = 0.0f; /* zero vector */
            }
            scale[j] = (double)c;
            if ((uint32_t)c > ms) ms = (uint32_t)c;
        }
        mx = quant_run(x + j * v, v, s, qmin, qmax, codes + j * v, mx);
    }
    memset(codes + k, 0, (kp - k) * sizeof *codes);
    for (size_t j = nv; j < nvp; j++) scale[j] = 0.0;
    __m128i m4 = _mm_max_epi32(_mm256_castsi256_si128(mx), _mm256_extracti128_si256(mx, 1));
    m4 = _mm_max_epi32(m4, _mm_shuffle_epi32(m4, 0x4e));
    m4 = _mm_max_epi32(m4, _mm_shuffle_epi32(m4, 0xb1));
    *max_code = _mm_cvtsi128_si32(m4);
    *gamma = g;
    *max_scale = ms;
}
