/* calib_percentile.c - alpha = P-th percentile of the magnitudes.
 *
 * Direct data: rank r = P/100 * (n-1) (0-based), alpha = m_(floor r) +
 * frac(r) * (m_(floor r + 1) - m_(floor r)) over the sorted magnitudes (the
 * "linear" definition of NumPy's percentile), found by selection in O(n).
 * Histogram: the same rank over the cumulative counts, interpolating
 * linearly inside the bin that holds it.
 */
#include <math.h>

#include "calib/calib_internal.h"

static void swap(float *a, float *b) {
    float t = *a;
    *a = *b;
    *b = t;
}

/* Place the k-th smallest of m[0..n) at m[k], smaller ones before it and
 * larger ones after (quickselect, median-of-three pivot). */
static void select_kth(float *m, size_t n, size_t k) {
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        if (m[mid] < m[lo]) swap(&m[mid], &m[lo]);
        if (m[hi] < m[lo]) swap(&m[hi], &m[lo]);
        if (m[hi] < m[mid]) swap(&m[hi], &m[mid]);
        float pivot = m[mid];
        size_t i = lo, j = hi;
        while (i <= j) { /* Hoare partition around the pivot value */
            while (m[i] < pivot) i++;
            while (m[j] > pivot) j--;
            if (i <= j) {
                swap(&m[i], &m[j]);
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return; /* j < k < i: m[k] equals the pivot */
    }
}

float calib_percentile_direct(float *m, size_t n, double p) {
    double rank = p / 100.0 * (double)(n - 1);
    size_t k = (size_t)floor(rank);
    if (k >= n - 1) { /* p = 100: the maximum */
        float max = m[0];
        for (size_t i = 1; i < n; i++)
            if (m[i] > max) max = m[i];
        return max;
    }
    select_kth(m, n, k);
    float next = m[k + 1]; /* smallest of the upper part = (k+1)-th */
    for (size_t i = k + 2; i < n; i++)
        if (m[i] < next) next = m[i];
    double frac = rank - (double)k;
    return (float)(m[k] + frac * ((double)next - m[k]));
}

float calib_percentile_hist(const calib_hist *h, double p, float max) {
    if (p >= 100.0) return max;
    double total = 0.0;
    for (int b = 0; b < CALIB_NBINS; b++) total += h->count[b];
    double target = p / 100.0 * total;
    double width = h->range / CALIB_NBINS;
    double cum = 0.0;
    for (int b = 0; b < CALIB_NBINS; b++) {
        double c = h->count[b];
        if (c > 0.0 && cum + c >= target) {
            double a = (b + (target - cum) / c) * width;
            return a < max ? (float)a : max;
        }
        cum += c;
    }
    return max;
}
