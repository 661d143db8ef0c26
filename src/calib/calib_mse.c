/* calib_mse.c - clip value that minimises the quantization MSE, by search.
 *
 * The error of a clip alpha is the paper's quantization of eq. 1-3 on the
 * magnitude grid: s = alpha/qref, q = min(round(|x|/s), qref) with rounding
 * half away from zero, error |x| - q*s. MSE(alpha) is piecewise smooth and
 * not convex (rounding makes it ripple), so instead of a descent we scan a
 * uniform grid of candidates over (0, max] and then a finer grid around the
 * best one.
 */
#include <math.h>

#include "calib/calib_internal.h"

#define MSE_COARSE 200 /* candidates k*max/200, k = 1..200 */
#define MSE_FINE 100   /* candidates between the coarse neighbours of the best */

/* Squared error of one magnitude m >= 0: q = min(round(m/step), qref),
 * rounding half away from zero; truncation of m/step + 0.5 is its floor
 * (no libm call in the hot loop). */
static inline double sq_err(double m, double inv, double step, int qref) {
    double t = m * inv + 0.5;
    double q = t >= (double)qref ? (double)qref : (double)(long long)t;
    double e = m - q * step;
    return e * e;
}

double calib_mse_score(const calib_samples *s, double alpha, int qref) {
    const double step = alpha / qref, inv = 1.0 / step;
    const long long n = (long long)s->n;
    const float *v = s->v;
    double sum = 0.0;
    if (s->w) {
        for (long long i = 0; i < n; i++) sum += s->w[i] * sq_err(v[i], inv, step, qref);
    } else if (n < 65536) { /* small groups (vectors): no thread start-up */
        for (long long i = 0; i < n; i++) sum += sq_err(v[i], inv, step, qref);
    } else {
#pragma omp parallel for reduction(+ : sum) schedule(static)
        for (long long i = 0; i < n; i++) sum += sq_err(v[i], inv, step, qref);
    }
    return sum;
}

/* Best of `count` evenly spaced candidates lo + (hi-lo)*k/count, k = 1..count. */
static double scan(const calib_samples *s, int qref, double lo, double hi, int count,
                   double *best_alpha) {
    double best = INFINITY;
    for (int k = 1; k <= count; k++) {
        double a = lo + (hi - lo) * k / count;
        if (a <= 0.0) continue;
        double e = calib_mse_score(s, a, qref);
        if (e < best) {
            best = e;
            *best_alpha = a;
        }
    }
    return best;
}

float calib_mse_search(const calib_samples *s, int qref) {
    const double max = s->max;
    double coarse = max;
    double best = scan(s, qref, 0.0, max, MSE_COARSE, &coarse);
    double step = max / MSE_COARSE;
    double lo = coarse - step > 0.0 ? coarse - step : 0.0;
    double hi = coarse + step < max ? coarse + step : max;
    double fine = coarse;
    if (scan(s, qref, lo, hi, MSE_FINE, &fine) < best) coarse = fine;
    float a = (float)coarse;
    return a > s->max ? s->max : a;
}
