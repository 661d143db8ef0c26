/* AVX2 fused row quantizers: one fp32 row -> packed weight codes and
 * stored scales (vsq_quantize_pack_weights), or int16 codes and double
 * scales (vsq_quantize_act), without per-element scalar work.
 *
 * Per row: (A) per-vector peaks as integer maxima of the float bits (for
 * non-negative floats the integer order is the float order, and NaN/Inf
 * show up as bits >= 0x7f800000, which replaces a separate finite scan);
 * (B) per-vector scales with the reference's float operations; (C) gamma
 * and the integer scales of two-level formats (eq. 7f/7g); then for
 * weights (D) the stored scales and (E) codes 64 at a time: x / s (IEEE
 * division, as the reference), clipped, rounded half away from zero,
 * offset and packed to the container. Weights equal the bytes of
 * vsqk_quantize_pack_weights_ref, activations vsq_quantize's codes and
 * scales (tests/test_kernels.c). */
#include <immintrin.h>
#include <string.h>

#include "kernels/kernels_internal.h"
#include "quant/quant_internal.h"
#include "kernels/quantize_pack.h"

/* Largest float below 0.5: trunc(v + copysign(PRED_HALF, v)) == roundf(v)
 * for every |v| < 2^24 (checked exhaustively), unlike adding 0.5. */
#define PRED_HALF 0.49999997f

/* Per-row constants of a layout. */
typedef struct {
    const vsq_format *f;
    size_t k, kfull;  /* kfull: k rounded down to a multiple of 64 */
    size_t nv, nv8;   /* vectors per padded row (kp / V), rounded up to 8 */
    int V, lg;        /* lg = log2(V / 8): 8-float blocks per vector */
    int uns;          /* uintN */
    int two;
    float qref, qmin, qmax;
    long smax_code;   /* 2^M - 1 for two-level sM */
} rowq;

static void rowq_init(const vsq_format *f, size_t k, size_t kp, rowq *q) {
    q->f = f;
    q->k = k;
    q->kfull = k / VSQK_CHUNK * VSQK_CHUNK;
    q->V = f->vec_len;
    q->lg = q->V == 16 ? 1 : q->V == 32 ? 2 : 3;
    q->nv = kp / (size_t)q->V;
    q->nv8 = (q->nv + 7) / 8 * 8;
    q->uns = f->elem == VSQ_ELEM_UINT;
    q->two = f->scale == VSQ_SCALE_TWO_LEVEL;
    q->qref = (float)vsq_format_qref(f);
    q->qmin = (float)vsq_format_qmin(f);
    q->qmax = (float)vsq_format_qmax(f);
    q->smax_code = q->two ? (1L << f->scale_bits) - 1 : 0;
}

size_t vsqk_qrow_work_bytes(size_t kp, int vec_len) {
    size_t nv8 = (kp / (size_t)vec_len + 7) / 8 * 8;
    return (3 * nv8 + VSQK_CHUNK) * 4; /* s, qs, stored scales, tail chunk */
}

/* Vector j of the row: in x, or in the zero-padded copy of the partial
 * last chunk (zeros change neither peaks nor the reference's choices). */
static inline const float *vec_ptr(const rowq *q, const float *x, const float *tail, size_t j) {
    size_t e = j * (size_t)q->V;
    return e < q->kfull ? x + e : tail + (e - q->kfull);
}

/* ---- (A) peaks ----------------------------------------------------------- */

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Software prefetch of the next row, a few lines per step of both the
 * peak pass and the code pass, so the memory stream never idles while a
 * row is computed (one row ahead fits in L1/L2). */
typedef struct {
    const char *p, *end;
} pfcur;

ALWAYS_INLINE void pf_lines(pfcur *c, int n) {
    for (int i = 0; i < n && c->p < c->end; i++, c->p += 64) _mm_prefetch(c->p, _MM_HINT_T0);
}

/* Lane maxima of one vector's peak candidates (|x| bits; uintN: the bits
 * of max(x, 0), as negative floats are negative integers). fin collects
 * |x| bits for the finite check where the peak does not see them. */
ALWAYS_INLINE __m256i vec_peak(const float *xv, int V, int uns, __m256i *fin) {
    const __m256i absm = _mm256_set1_epi32(0x7fffffff);
    __m256i m = _mm256_setzero_si256();
    for (int e = 0; e < V; e += 8) {
        __m256i b = _mm256_loadu_si256((const __m256i *)(xv + e));
        if (uns) {
            m = _mm256_max_epi32(m, b);
            *fin = _mm256_max_epi32(*fin, _mm256_and_si256(b, absm));
        } else {
            m = _mm256_max_epi32(m, _mm256_and_si256(b, absm));
        }
    }
    return m;
}

/* out lane i = max of r[i]'s 8 lanes: 8 horizontal maxima in 13 ops. */
static inline __m256i reduce8(const __m256i r[8]) {
    __m256i t[4], u[2];
    for (int i = 0; i < 4; i++)
        t[i] = _mm256_max_epi32(_mm256_unpacklo_epi32(r[2 * i], r[2 * i + 1]),
                                _mm256_unpackhi_epi32(r[2 * i], r[2 * i + 1]));
    for (int i = 0; i < 2; i++)
        u[i] = _mm256_max_epi32(_mm256_unpacklo_epi64(t[2 * i], t[2 * i + 1]),
                                _mm256_unpackhi_epi64(t[2 * i], t[2 * i + 1]));
    return _mm256_max_epi32(_mm256_permute2x128_si256(u[0], u[1], 0x20),
                            _mm256_permute2x128_si256(u[0], u[1], 0x31));
}

static inline int32_t hmax_epi32(__m256i v) {
    __m128i m = _mm_max_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    m = _mm_max_epi32(m, _mm_shuffle_epi32(m, 0x4e));
    m = _mm_max_epi32(m, _mm_shuffle_epi32(m, 0xb1));
    return _mm_cvtsi128_si32(m);
}

/* Peaks of ng groups of 8 whole vectors at x (V, uns constant after
 * inlining, so the loads unroll); V/4 prefetched lines per group. */
ALWAYS_INLINE void peaks_full(const float *x, size_t ng, float *peak, int V, int uns,
                              __m256i *fin, pfcur *pf) {
    for (size_t g = 0; g < ng; g++, x += 8 * V, peak += 8) {
        __m256i r[8];
        for (int i = 0; i < 8; i++) r[i] = vec_peak(x + i * V, V, uns, fin);
        __m256i pk = reduce8(r);
        if (!uns) *fin = _mm256_max_epi32(*fin, pk);
        _mm256_storeu_si256((__m256i *)peak, pk);
        pf_lines(pf, V / 4);
    }
}

/* Peaks of all nv vectors into peak[0..nv8) (lanes past nv: 0). Returns 1
 * if the row holds a NaN or Inf. */
static int row_peaks(const rowq *q, const float *x, const float *tail, float *peak, pfcur *pf) {
    __m256i fin = _mm256_setzero_si256();
    size_t ng = q->kfull / (8 * (size_t)q->V), g = ng * 8;
    switch (q->V * 2 + q->uns) {
    case 32: peaks_full(x, ng, peak, 16, 0, &fin, pf); break;
    case 33: peaks_full(x, ng, peak, 16, 1, &fin, pf); break;
    case 64: peaks_full(x, ng, peak, 32, 0, &fin, pf); break;
    case 65: peaks_full(x, ng, peak, 32, 1, &fin, pf); break;
    case 128: peaks_full(x, ng, peak, 64, 0, &fin, pf); break;
    default: peaks_full(x, ng, peak, 64, 1, &fin, pf); break;
    }
    for (; g < q->nv; g += 8) { /* the rest: vectors in x or in the tail copy */
        __m256i r[8];
        for (size_t i = 0; i < 8; i++)
            r[i] = g + i < q->nv ? vec_peak(vec_ptr(q, x, tail, g + i), q->V, q->uns, &fin)
                                 : _mm256_setzero_si256();
        __m256i pk = reduce8(r);
        if (!q->uns) fin = _mm256_max_epi32(fin, pk);
        _mm256_storeu_si256((__m256i *)(peak + g), pk);
    }
    return hmax_epi32(fin) >= 0x7f800000;
}

/* ---- (B) per-vector scales ------------------------------------------------ */

/* vsq_scale_store(FP16, s) for s >= 0, 8 at a time: F16C rounds to nearest
 * even like vsq_f32_to_f16; 0 -> the smallest subnormal, Inf -> 65504
 * (checked against the scalar code for every positive float). */
static inline __m256 f16_store(__m256 s) {
    const __m256 zero = _mm256_setzero_ps();
    __m256 h = _mm256_cvtph_ps(_mm256_cvtps_ph(s, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    h = _mm256_blendv_ps(h, _mm256_set1_ps(5.9604645e-08f), _mm256_cmp_ps(h, zero, _CMP_EQ_OQ));
    h = _mm256_blendv_ps(h, _mm256_set1_ps(65504.0f),
                         _mm256_cmp_ps(h, _mm256_set1_ps(__builtin_inff()), _CMP_EQ_OQ));
    return _mm256_and_ps(h, _mm256_cmp_ps(s, zero, _CMP_GT_OQ));
}

/* vsq_scale_store(E8M0, s) for s >= 0, 8 at a time, on the bits: the
 * smallest power of two >= s, exponent clamped to [-127, 127] (checked
 * against the frexpf code for every positive float). */
static inline __m256 e8m0_store(__m256 s) {
    __m256i b = _mm256_castps_si256(s), e = _mm256_srli_epi32(b, 23);
    __m256i pow2 = _mm256_cmpeq_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x7fffff)),
                                      _mm256_setzero_si256()); /* -1: mantissa 0 */
    e = _mm256_add_epi32(_mm256_add_epi32(e, _mm256_set1_epi32(1)), pow2);
    __m256i r = _mm256_slli_epi32(_mm256_min_epi32(e, _mm256_set1_epi32(254)), 23);
    r = _mm256_blendv_epi8(r, _mm256_set1_epi32(0x400000), /* s <= 2^-127: 2^-127 */
                           _mm256_cmpgt_epi32(_mm256_set1_epi32(0x400001), b));
    return _mm256_and_ps(_mm256_castsi256_ps(r), _mm256_cmp_ps(s, _mm256_setzero_ps(), _CMP_GT_OQ));
}

/* intNf: x at the first element of largest |x| (vsq_group_qref and
 * group_peak take the first one on ties); pbits = the peak's bits. */
static inline float first_peak(const float *xv, int V, int32_t pbits) {
    const __m256i absm = _mm256_set1_epi32(0x7fffffff), pb = _mm256_set1_epi32(pbits);
    uint64_t m = 0; /* bit e: |x[e]| == peak; no early exit, whose branch would mispredict */
    for (int e = 0; e < V; e += 8) {
        __m256i b = _mm256_loadu_si256((const __m256i *)(xv + e));
        __m256i eq = _mm256_cmpeq_epi32(_mm256_and_si256(b, absm), pb);
        m |= (uint64_t)(unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(eq)) << e;
    }
    return xv[m ? __builtin_ctzll(m) : 0]; /* m != 0: the peak is one of the elements */
}

/* intNf per vector: the divisor of the peak (vsq_group_qref: 2^(N-1) when
 * the first peak element is negative; fp32/fp16 scales always 2^(N-1))
 * into dv, and the sign flip of signed fp scales (vsq_single_scale: the
 * scale is negative when that element is positive) into flip. */
static void intf_choices(const rowq *q, const float *x, const float *tail, const float *peak,
                         float *dv, uint32_t *flip) {
    int fp = !q->two && q->f->scale != VSQ_SCALE_E8M0;
    float qneg = -q->qmin;
    for (size_t j = 0; j < q->nv8; j++) {
        float xp = 0.0f;
        if (j < q->nv) {
            int32_t pb;
            memcpy(&pb, &peak[j], 4);
            xp = first_peak(vec_ptr(q, x, tail, j), q->V, pb);
        }
        /* arithmetic, not branches: the sign of xp is data, a branch on it mispredicts */
        int neg = fp | (xp < 0.0f), pos = fp & (xp > 0.0f);
        dv[j] = q->qmax + (float)neg * (qneg - q->qmax); /* small integers: exact */
        flip[j] = (uint32_t)pos << 31;
    }
}

/* Peaks (in s) -> per-vector float scales, in place: two-level s = peak /
 * qref (eq. 7b), single-level the stored scale (vsq_single_scale, stored
 * type rounding included). dv, flip: scratch for intNf. */
static void row_scales(const rowq *q, const float *x, const float *tail, float *s, float *dv,
                       uint32_t *flip) {
    const int intf = q->f->elem == VSQ_ELEM_INTF;
    const vsq_scale_kind kind = q->f->scale;
    if (intf) intf_choices(q, x, tail, s, dv, flip);
    const __m256 qref = _mm256_set1_ps(q->qref);
    for (size_t j = 0; j < q->nv8; j += 8) {
        __m256 v = _mm256_div_ps(_mm256_loadu_ps(s + j), intf ? _mm256_loadu_ps(dv + j) : qref);
        if (kind == VSQ_SCALE_FP16) v = f16_store(v); /* 0 stays 0, as peak 0 gives 0 */
        else if (kind == VSQ_SCALE_E8M0) v = e8m0_store(v);
        if (intf) v = _mm256_xor_ps(v, _mm256_loadu_ps((const float *)(flip + j)));
        _mm256_storeu_ps(s + j, v);
    }
}

/* ---- (C) gamma, integer scales and the scales the codes divide by -------- */

/* qs[j]: the divisor of vector j's codes, +Inf where its codes are 0 (x/Inf
 * = 0 codes the zero vector without a branch); st[j]: the stored scale's
 * bits (two-level integer, fp16 or fp32). Returns the largest integer
 * scale; *gamma as the reference. */
static uint32_t row_levels(const rowq *q, const float *s, float *qs, uint32_t *st, float *gamma) {
    const __m256 zero = _mm256_setzero_ps(), inf = _mm256_set1_ps(__builtin_inff());
    if (!q->two) {
        const int f16 = q->f->scale == VSQ_SCALE_FP16;
        for (size_t j = 0; j < q->nv8; j += 8) {
            __m256 v = _mm256_loadu_ps(s + j);
            _mm256_storeu_ps(qs + j, _mm256_blendv_ps(v, inf, _mm256_cmp_ps(v, zero, _CMP_EQ_OQ)));
            __m256i b = f16 ? _mm256_cvtepu16_epi32(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT))
                            : _mm256_castps_si256(v); /* exact: s is already an fp16 value */
            _mm256_storeu_si256((__m256i *)(st + j), b);
        }
        *gamma = 1.0f;
        return 0;
    }
    __m256 m = zero;
    for (size_t j = 0; j < q->nv8; j += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(s + j));
    float smax; /* s >= 0, so the bit maximum is the float maximum */
    int32_t mb = hmax_epi32(_mm256_castps_si256(m));
    memcpy(&smax, &mb, 4);
    float g = smax / (float)q->smax_code; /* eq. 7f */
    *gamma = g;
    const __m256 vg = _mm256_set1_ps(g), cap = _mm256_set1_ps((float)q->smax_code);
    const __m256 half = _mm256_set1_ps(PRED_HALF);
    __m256i cmax = _mm256_setzero_si256();
    for (size_t j = 0; j < q->nv8; j += 8) {
        __m256 v = _mm256_loadu_ps(s + j);
        /* s > 0 and g > 0: c = min(lroundf(s / g), 2^M - 1) (eq. 7g) */
        __m256 ok = g > 0.0f ? _mm256_cmp_ps(v, zero, _CMP_GT_OQ) : zero;
        __m256 r = _mm256_min_ps(_mm256_div_ps(v, g > 0.0f ? vg : inf), cap);
        __m256i c = _mm256_and_si256(_mm256_cvttps_epi32(_mm256_add_ps(r, half)),
                                     _mm256_castps_si256(ok));
        cmax = _mm256_max_epi32(cmax, c);
        _mm256_storeu_si256((__m256i *)(st + j), c);
        _mm256_storeu_ps(qs + j, _mm256_blendv_ps(inf, v, ok));
    }
    return (uint32_t)hmax_epi32(cmax);
}

/* ---- (D) stored scales ------------------------------------------------------ */

/* Vector j = ch * vpc + v goes to chunk ch, slot v * 4 + rr; the stored
 * value is the low ssz bytes of st[j] (little endian). vpc and ssz are
 * constants after inlining, so the stores unroll. */
ALWAYS_INLINE void put_scales_v(const uint32_t *st, size_t nch, size_t chunk_bytes, uint8_t *d,
                                int vpc, int ssz) {
    for (size_t ch = 0; ch < nch; ch++, d += chunk_bytes, st += vpc)
        for (int v = 0; v < vpc; v++) memcpy(d + v * VSQK_NR * ssz, &st[v], (size_t)ssz);
}

static void put_scales(const vsq_packed_w *p, const uint32_t *st, size_t rr, uint8_t *panel) {
    int vpc = VSQK_CHUNK / p->vec_len, ssz = (int)vsqk_scale_size(p->stype);
    size_t nch = p->kp / VSQK_CHUNK, cb = p->chunk_bytes;
    uint8_t *d = panel + VSQK_NR * p->code_bytes + rr * (size_t)ssz;
    switch (vpc * 8 + ssz) {
    case 33: put_scales_v(st, nch, cb, d, 4, 1); break;
    case 34: put_scales_v(st, nch, cb, d, 4, 2); break;
    case 36: put_scales_v(st, nch, cb, d, 4, 4); break;
    case 17: put_scales_v(st, nch, cb, d, 2, 1); break;
    case 18: put_scales_v(st, nch, cb, d, 2, 2); break;
    case 20: put_scales_v(st, nch, cb, d, 2, 4); break;
    default: put_scales_v(st, nch, cb, d, 1, ssz); break;
    }
}

/* ---- (E) codes -------------------------------------------------------------- */

typedef struct {
    __m256 lo, hi, half, sgn;
    __m256i off8, perm;
    int uns;
} qconst;

/* 8 codes: roundf(x / s) clipped to [qmin, qmax] (clipping first gives the
 * same integer and keeps the conversion in range). */
static inline __m256i quant8(const float *x, __m256 s, const qconst *c) {
    __m256 v = _mm256_div_ps(_mm256_loadu_ps(x), s);
    v = _mm256_min_ps(_mm256_max_ps(v, c->lo), c->hi);
    v = _mm256_add_ps(v, _mm256_or_ps(_mm256_and_ps(v, c->sgn), c->half));
    return _mm256_cvttps_epi32(v);
}

/* The 64 stored bytes u = code + off of one chunk: *a holds elements 0-31,
 * *b 32-63, both in the order packs leaves them (dwords 0,2,4,6,1,3,5,7 of
 * the row order); c->perm puts either back in order. */
static inline void quant_chunk(const float *x, const float *qs, int lg, const qconst *c,
                               __m256i *a, __m256i *b) {
    __m256i i[8], w[4];
    for (int t = 0; t < 8; t++) i[t] = quant8(x + 8 * t, _mm256_broadcast_ss(qs + (t >> lg)), c);
    for (int t = 0; t < 4; t++) w[t] = _mm256_packs_epi32(i[2 * t], i[2 * t + 1]);
    if (c->uns) { /* 0..255: unsigned saturation keeps them, off = 0 */
        *a = _mm256_packus_epi16(w[0], w[1]);
        *b = _mm256_packus_epi16(w[2], w[3]);
    } else { /* -128..127, then + off modulo 256 */
        *a = _mm256_add_epi8(_mm256_packs_epi16(w[0], w[1]), c->off8);
        *b = _mm256_add_epi8(_mm256_packs_epi16(w[2], w[3]), c->off8);
    }
}

/* 16 bytes: byte j = t[j] | t[j+16] << 2 for t bytes < 64 (two 2-bit
 * fields each), i.e. the cb=6 high plane and the cb=3 low plane. */
static inline __m128i fold_planes(__m256i t) {
    return _mm_or_si128(_mm256_castsi256_si128(t),
                        _mm_slli_epi16(_mm256_extracti128_si256(t, 1), 2));
}

/* 8x8 bit matrix transpose: bit 8i+j <-> bit 8j+i (Hacker's Delight). */
static inline uint64_t transpose8(uint64_t x) {
    uint64_t t;
    t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAull;
    x ^= t ^ (t << 7);
    t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCull;
    x ^= t ^ (t << 14);
    t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ull;
    x ^= t ^ (t << 28);
    return x;
}

/* Store one chunk's 64 codes (a, b from quant_chunk) in the cb layout of
 * docs/kernels.md. Bytes u < 2^cb, so 16-bit shifts never carry a field
 * into the neighbouring byte. */
static inline void store_chunk(__m256i a, __m256i b, int cb, __m256i perm, uint8_t *dst) {
    const __m256i m3 = _mm256_set1_epi8(3), m15 = _mm256_set1_epi8(15);
    if (cb == 8) {
        _mm256_storeu_si256((__m256i *)dst, _mm256_permutevar8x32_epi32(a, perm));
        _mm256_storeu_si256((__m256i *)(dst + 32), _mm256_permutevar8x32_epi32(b, perm));
        return;
    }
    if (cb == 4) { /* same element order in a and b: combine, then reorder */
        __m256i v = _mm256_or_si256(a, _mm256_slli_epi16(b, 4));
        _mm256_storeu_si256((__m256i *)dst, _mm256_permutevar8x32_epi32(v, perm));
        return;
    }
    a = _mm256_permutevar8x32_epi32(a, perm);
    b = _mm256_permutevar8x32_epi32(b, perm);
    if (cb == 6) {
        __m256i lo = _mm256_or_si256(_mm256_and_si256(a, m15),
                                     _mm256_slli_epi16(_mm256_and_si256(b, m15), 4));
        __m256i ha = _mm256_and_si256(_mm256_srli_epi16(a, 4), m3);
        __m256i hb = _mm256_and_si256(_mm256_srli_epi16(b, 4), m3);
        _mm256_storeu_si256((__m256i *)dst, lo);
        _mm_storeu_si128((__m128i *)(dst + 32),
                         fold_planes(_mm256_or_si256(ha, _mm256_slli_epi16(hb, 4))));
        return;
    }
    /* cb == 3: bits 0-1 as 2-bit fields, then bit 2 of u[j + 8t] at bit t */
    __m256i la = _mm256_and_si256(a, m3), lb = _mm256_and_si256(b, m3);
    _mm_storeu_si128((__m128i *)dst, fold_planes(_mm256_or_si256(la, _mm256_slli_epi16(lb, 4))));
    uint64_t m = (uint32_t)_mm256_movemask_epi8(_mm256_slli_epi16(a, 5)) |
                 (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_slli_epi16(b, 5)) << 32;
    m = transpose8(m); /* bit 8t+j (element 8t+j) -> bit 8j+t (byte j, bit t) */
    memcpy(dst + 16, &m, 8);
}

static inline int hmax_epu8(__m256i v) {
    __m128i m = _mm_max_epu8(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    m = _mm_max_epu8(m, _mm_srli_si128(m, 8));
    m = _mm_max_epu8(m, _mm_srli_si128(m, 4));
    m = _mm_max_epu8(m, _mm_srli_si128(m, 2));
    m = _mm_max_epu8(m, _mm_srli_si128(m, 1));
    return _mm_cvtsi128_si32(m) & 0xff;
}

/* Codes of every chunk of the row into dst (row rr's slot of chunk 0), two
 * prefetched lines per chunk.
 * Returns the largest |code| (from the largest and smallest stored u). */
static int pack_codes(const vsq_packed_w *p, const rowq *q, const float *x, const float *tail,
                      const float *qs, pfcur *pf, uint8_t *dst) {
    qconst c = {_mm256_set1_ps(q->qmin), _mm256_set1_ps(q->qmax), _mm256_set1_ps(PRED_HALF),
                _mm256_set1_ps(-0.0f), _mm256_set1_epi8((char)p->off),
                _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7), q->uns};
    __m256i umax = _mm256_setzero_si256(), umin = _mm256_set1_epi8(-1);
    size_t nch = p->kp / VSQK_CHUNK, vpc = VSQK_CHUNK / (size_t)q->V;
    for (size_t ch = 0; ch < nch; ch++, dst += p->chunk_bytes) {
        size_t e = ch * VSQK_CHUNK;
        pf_lines(pf, 2);
        __m256i a, b;
        quant_chunk(e < q->kfull ? x + e : tail, qs + ch * vpc, q->lg, &c, &a, &b);
        umax = _mm256_max_epu8(umax, _mm256_max_epu8(a, b));
        umin = _mm256_min_epu8(umin, _mm256_min_epu8(a, b));
        store_chunk(a, b, p->cbits, c.perm, dst);
    }
    int hi = hmax_epu8(umax) - p->off;
    int lo = p->off - (255 - hmax_epu8(_mm256_xor_si256(umin, _mm256_set1_epi8(-1))));
    return hi > lo ? hi : lo;
}

/* The per-row arrays carved from a work buffer. */
typedef struct {
    float *s, *qs, *tail; /* per-vector scale, divisor of the codes; the tail chunk */
    uint32_t *st;         /* stored scale bits */
    pfcur pf;
} rowbuf;

/* Stages A-C of one row. Returns 1 if x holds a NaN or Inf. */
static int row_prepare(const rowq *q, const float *x, const float *next, void *work, rowbuf *b,
                       float *gamma, uint32_t *max_scale) {
    b->s = work;
    b->qs = b->s + q->nv8;
    b->st = (uint32_t *)(b->qs + q->nv8);
    b->tail = b->qs + 2 * q->nv8;
    b->pf = (pfcur){(const char *)next, next ? (const char *)(next + q->k) : NULL};
    if (q->kfull < q->k) { /* partial last chunk: a zero-padded copy */
        memcpy(b->tail, x + q->kfull, (q->k - q->kfull) * sizeof *x);
        memset(b->tail + (q->k - q->kfull), 0, (q->kfull + VSQK_CHUNK - q->k) * sizeof *x);
    }
    if (row_peaks(q, x, b->tail, b->s, &b->pf)) return 1;
    row_scales(q, x, b->tail, b->s, b->qs, b->st); /* qs, st: scratch until (C) */
    *max_scale = row_levels(q, b->s, b->qs, b->st, gamma);
    return 0;
}

int vsqk_qpack_row_avx2(const vsq_packed_w *p, const float *x, const float *next, size_t rr,
                        uint8_t *panel, void *work, float *gamma, int *max_code,
                        uint32_t *max_scale) {
    rowq q;
    rowbuf b;
    rowq_init(&p->fmt, p->k, p->kp, &q);
    if (row_prepare(&q, x, next, work, &b, gamma, max_scale)) return 1;
    put_scales(p, b.st, rr, panel);
    *max_code = pack_codes(p, &q, x, b.tail, b.qs, &b.pf, panel + rr * p->code_bytes);
    return 0;
}

/* ---- activations: int16 codes and double scales ------------------------------ */

/* Largest |code| of int16 lanes kept as unsigned maxima of |code|. */
static inline int hmax_epu16(__m256i v) {
    __m128i m = _mm_max_epu16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    /* minpos finds the smallest of the complements, i.e. the largest */
    __m128i lo = _mm_minpos_epu16(_mm_xor_si128(m, _mm_set1_epi16(-1)));
    return 0xffff - (_mm_cvtsi128_si32(lo) & 0xffff);
}

/* Codes of all kp elements (the zero-padded tail gives the zero padding),
 * 16 at a time in row order; returns the largest |code|. */
static int act_codes(const rowq *q, const float *x, const float *tail, const float *qs, pfcur *pf,
                     size_t kp, int16_t *codes) {
    qconst c = {_mm256_set1_ps(q->qmin), _mm256_set1_ps(q->qmax), _mm256_set1_ps(PRED_HALF),
                _mm256_set1_ps(-0.0f), _mm256_setzero_si256(), _mm256_setzero_si256(), q->uns};
    __m256i mx = _mm256_setzero_si256();
    size_t vpc = VSQK_CHUNK / (size_t)q->V;
    for (size_t e = 0; e < kp; e += VSQK_CHUNK, qs += vpc) {
        const float *src = e < q->kfull ? x + e : tail;
        pf_lines(pf, 2);
        for (int t = 0; t < 8; t += 2) {
            __m256i i0 = quant8(src + 8 * t, _mm256_broadcast_ss(qs + (t >> q->lg)), &c);
            __m256i i1 = quant8(src + 8 * t + 8, _mm256_broadcast_ss(qs + ((t + 1) >> q->lg)), &c);
            __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(i0, i1), 0xd8);
            _mm256_storeu_si256((__m256i *)(codes + e + 8 * t), w);
            mx = _mm256_max_epu16(mx, _mm256_abs_epi16(w));
        }
    }
    return hmax_epu16(mx);
}

int vsqk_qact_row_avx2(const vsq_format *fmt, const float *x, const float *next, size_t k,
                       size_t kp, int16_t *codes, double *scale, float *gamma, int *max_code,
                       uint32_t *max_scale, void *work) {
    rowq q;
    rowbuf b;
    rowq_init(fmt, k, kp, &q);
    if (row_prepare(&q, x, next, work, &b, gamma, max_scale)) return 1;
    for (size_t j = 0; j < q.nv; j++) /* integer sq (two-level) or the float scale */
        scale[j] = q.two ? (double)b.st[j] : (double)b.s[j];
    *max_code = act_codes(&q, x, b.tail, b.qs, &b.pf, kp, codes);
    return 0;
}

/* ---- activations for the int8 GEMV: int8 codes and lane sums ------------------ */

int vsqk_qact_row8_avx2(const vsq_format *fmt, const float *x, const float *next, size_t k,
                        size_t kp, int off, int8_t *c8, int32_t *corr, uint32_t *sq,
                        float *gamma, int *max_code, uint32_t *max_scale, void *work) {
    rowq q;
    rowbuf b;
    rowq_init(fmt, k, kp, &q);
    if (row_prepare(&q, x, next, work, &b, gamma, max_scale)) return 1;
    memcpy(sq, b.st, q.nv * sizeof *sq);
    /* the codes as for the weights (quant_chunk: the same quant8 as
     * act_codes), without the offset; packs keeps every int8 code */
    qconst c = {_mm256_set1_ps(q.qmin), _mm256_set1_ps(q.qmax), _mm256_set1_ps(PRED_HALF),
                _mm256_set1_ps(-0.0f), _mm256_setzero_si256(),
                _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7), q.uns};
    const __m256i one8 = _mm256_set1_epi8(1), one16 = _mm256_set1_epi16(1);
    const __m256i noff = _mm256_set1_epi32(-off);
    __m256i mx = _mm256_setzero_si256();
    size_t vpc = VSQK_CHUNK / (size_t)q.V;
    for (size_t ch = 0; ch < kp / VSQK_CHUNK; ch++) {
        size_t e = ch * VSQK_CHUNK;
        pf_lines(&b.pf, 2);
        __m256i lo, hi;
        quant_chunk(e < q.kfull ? x + e : b.tail, b.qs + ch * vpc, q.lg, &c, &lo, &hi);
        lo = _mm256_permutevar8x32_epi32(lo, c.perm);
        hi = _mm256_permutevar8x32_epi32(hi, c.perm);
        _mm256_storeu_si256((__m256i *)(c8 + e), lo);
        _mm256_storeu_si256((__m256i *)(c8 + e + 32), hi);
        mx = _mm256_max_epu8(mx, _mm256_max_epu8(_mm256_abs_epi8(lo), _mm256_abs_epi8(hi)));
        /* sums of 4 consecutive codes (|sum| <= 512): u8 ones x s8 codes
         * in pairs, then pairs of pairs; times -off */
        __m256i slo = _mm256_madd_epi16(_mm256_maddubs_epi16(one8, lo), one16);
        __m256i shi = _mm256_madd_epi16(_mm256_maddubs_epi16(one8, hi), one16);
        _mm256_storeu_si256((__m256i *)(corr + 16 * ch), _mm256_mullo_epi32(slo, noff));
        _mm256_storeu_si256((__m256i *)(corr + 16 * ch + 8), _mm256_mullo_epi32(shi, noff));
    }
    *max_code = hmax_epu8(mx);
    return 0;
}
