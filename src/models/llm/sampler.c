/* Next-token sampling: greedy (temperature 0), temperature, or top-p
 * (nucleus) sampling, with the xorshift* RNG of llama2.c so a seed gives
 * the same text as the reference runner. */
#include "models/llm/llm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

vsq_status llm_sampler_init(llm_sampler *s, int vocab_size, float temperature, float topp,
                            uint64_t seed) {
    memset(s, 0, sizeof *s);
    if (vocab_size <= 0 || !(temperature >= 0.0f) || !isfinite(temperature) || !isfinite(topp))
        return vsq_error(VSQ_EINVAL, "sampler: bad vocab size, temperature or top-p");
    s->vocab_size = vocab_size;
    s->temperature = temperature;
    s->topp = topp;
    s->rng = seed ? seed : 1; /* xorshift state must not be 0 */
    s->cand = malloc((size_t)vocab_size * sizeof *s->cand);
    if (!s->cand) return vsq_error(VSQ_ENOMEM, "sampler: out of memory");
    return VSQ_OK;
}

void llm_sampler_free(llm_sampler *s) {
    free(s->cand);
    memset(s, 0, sizeof *s);
}

static uint32_t random_u32(uint64_t *state) {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (uint32_t)((*state * 0x2545F4914F6CDD1Dull) >> 32);
}

static float random_f32(uint64_t *state) { /* in [0, 1) */
    return (float)(random_u32(state) >> 8) / 16777216.0f;
}

static int argmax(const float *p, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (p[i] > p[best]) best = i;
    return best;
}

static void softmax(float *x, int n) {
    float max = x[argmax(x, n)], sum = 0.0f;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    for (int i = 0; i < n; i++) x[i] /= sum;
}

/* Sample index from probabilities p (summing to 1) with coin in [0,1). */
static int sample_mult(const float *p, int n, float coin) {
    float cdf = 0.0f;
    for (int i = 0; i < n; i++) {
        cdf += p[i];
        if (coin < cdf) return i;
    }
    return n - 1; /* rounding */
}

static int cmp_desc(const void *a, const void *b) {
    float pa = *(const float *)a, pb = *(const float *)b; /* p is the first member */
    return (pa < pb) - (pa > pb);
}

/* Top-p: sample among the smallest set of most likely tokens whose mass
 * exceeds topp. Tokens below (1-topp)/(n-1) cannot be in it: dropped
 * before sorting, as in llama2.c. */
static int sample_topp(llm_sampler *s, const float *p, float coin) {
    int n = s->vocab_size, k = 0;
    float cutoff = (1.0f - s->topp) / (float)(n - 1 > 0 ? n - 1 : 1);
    for (int i = 0; i < n; i++)
        if (p[i] >= cutoff) {
            s->cand[k].p = p[i];
            s->cand[k].i = i;
            k++;
        }
    if (k == 0) return argmax(p, n);
    qsort(s->cand, (size_t)k, sizeof *s->cand, cmp_desc);
    float mass = 0.0f;
    int last = k - 1;
    for (int i = 0; i < k; i++) {
        mass += s->cand[i].p;
        if (mass > s->topp) {
            last = i;
            break;
        }
    }
    float r = coin * mass, cdf = 0.0f;
    for (int i = 0; i <= last; i++) {
        cdf += s->cand[i].p;
        if (r < cdf) return s->cand[i].i;
    }
    return s->cand[last].i;
}

int llm_sample(llm_sampler *s, float *logits) {
    if (s->temperature == 0.0f) return argmax(logits, s->vocab_size);
    for (int i = 0; i < s->vocab_size; i++) logits[i] /= s->temperature;
    softmax(logits, s->vocab_size);
    float coin = random_f32(&s->rng);
    if (s->topp <= 0.0f || s->topp >= 1.0f) return sample_mult(logits, s->vocab_size, coin);
    return sample_topp(s, logits, coin);
}
