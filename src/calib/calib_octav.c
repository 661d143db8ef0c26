/* calib_octav.c - OCTAV: the MSE-optimal clip by fixed-point iteration.
 *
 * Sakr et al., ICML 2022 model the quantization MSE of a clip s as
 *   J(s) = (4^-B/3) s^2 P(|X|<=s) + E[(|X|-s)^2 1{|X|>s}]
 * (noise step^2/12 inside the clip, clipping error outside) and find its
 * minimum with the Newton-Raphson recursion
 *   s_{n+1} = sum |x| 1{|x|>s_n} / ((4^-B/3) #{|x|<=s_n} + #{|x|>s_n}).
 * Here sums and counts are weighted (histograms give counts per bin centre).
 */
#include <math.h>

#include "calib/calib_internal.h"

#define OCTAV_ITERS 30
#define OCTAV_RTOL 1e-6

int calib_octav_bits(const vsq_format *fmt) {
    return calib_is_unsigned(fmt) ? fmt->bits + 1 : fmt->bits;
}

/* Sums over the samples split at s: weight inside, weight and weighted sum
 * of magnitudes above, and the weighted clipping error above. */
typedef struct {
    double w_in, w_out, sum_out, clip_err;
} octav_split;

static octav_split split_at(const calib_samples *s, double clip) {
    octav_split r = {0, 0, 0, 0};
    for (size_t i = 0; i < s->n; i++) {
        double w = s->w ? s->w[i] : 1.0;
        double m = s->v[i];
        if (m <= clip) {
            r.w_in += w;
        } else {
            r.w_out += w;
            r.sum_out += w * m;
            r.clip_err += w * (m - clip) * (m - clip);
        }
    }
    return r;
}

/* J(s) of the OCTAV model (for choosing among iterates of a cycle). */
static double octav_cost(const octav_split *r, double c, double clip) {
    return c * clip * clip * r->w_in + r->clip_err;
}

float calib_octav(const calib_samples *s, int bits_eff) {
    const double c = pow(4.0, -bits_eff) / 3.0;
    const double max = s->max;
    double total = 0.0, sum = 0.0;
    for (size_t i = 0; i < s->n; i++) {
        double w = s->w ? s->w[i] : 1.0;
        total += w;
        sum += w * s->v[i];
    }
    /* Start at the mean magnitude: below the optimum for any distribution
     * with a tail, and the recursion moves up from there. */
    double clip = total > 0.0 ? sum / total : max;
    if (!(clip > 0.0)) clip = max;
    double best = clip, best_cost = INFINITY;
    for (int it = 0; it < OCTAV_ITERS; it++) {
        octav_split r = split_at(s, clip);
        double cost = octav_cost(&r, c, clip);
        if (cost < best_cost) {
            best_cost = cost;
            best = clip;
        }
        /* Nothing above the clip: every value is kept, the clip is max. */
        double next = r.w_out > 0.0 ? r.sum_out / (c * r.w_in + r.w_out) : max;
        if (next > max) next = max;
        if (!(next > 0.0)) next = max;
        if (fabs(next - clip) <= OCTAV_RTOL * clip) return (float)next;
        clip = next;
    }
    /* No convergence (discrete data can make the map cycle): best iterate. */
    return (float)(best > max ? max : best);
}
