/* calib_entropy.c - TensorRT-style KL-divergence (entropy) calibration.
 *
 * For each candidate threshold of i histogram bins (i = nlevels .. last
 * non-empty bin + 1):
 *   P = hist[0:i] with everything beyond bin i-1 folded into bin i-1;
 *   Q = hist[0:i] without the folded outliers, merged into nlevels groups
 *       of consecutive bins, each group's mass spread evenly over the bins
 *       where P is non-zero;
 * and the threshold with the smallest KL(P||Q) wins. Q deliberately leaves
 * the outliers out (as TensorRT and MXNet do): with them, i = nlevels would
 * map every bin to its own level and give KL = 0 trivially.
 * alpha is the upper edge of the last kept bin, i * bin_width.
 * Each candidate costs O(non-empty bins + nlevels), not O(i).
 */
#include <math.h>

#include "calib/calib_internal.h"

#define CALIB_MAX_LEVELS 256 /* qref+1 for uint8, the widest grid */
#define KL_EPS 1e-12 /* floor for Q where P has mass but Q none (outlier-only group) */

typedef struct {
    int nnz;
    int bins[CALIB_NBINS];          /* non-empty bins, ascending */
    double tail[CALIB_NBINS + 1];   /* tail[b] = sum of count[b..] */
    double plogp[CALIB_NBINS + 1];  /* plogp[k] = sum over bins[0..k) of p log p, p = count/total */
} hist_index;

static void index_hist(const calib_hist *h, hist_index *ix) {
    ix->nnz = 0;
    ix->tail[CALIB_NBINS] = 0.0;
    for (int b = CALIB_NBINS - 1; b >= 0; b--) ix->tail[b] = ix->tail[b + 1] + h->count[b];
    ix->plogp[0] = 0.0;
    for (int b = 0; b < CALIB_NBINS; b++) {
        if (!(h->count[b] > 0.0)) continue;
        double p = h->count[b] / ix->tail[0];
        ix->plogp[ix->nnz + 1] = ix->plogp[ix->nnz] + p * log(p);
        ix->bins[ix->nnz++] = b;
    }
}

/* Merging i bins into nl groups: group j starts at bin floor(j*i/nl).
 * Walks the starts incrementally (quotient and remainder), so the hot loop
 * has no division. */
typedef struct {
    int i, nl, j, next, rem; /* next = start of group j+1, rem its remainder */
    int step_q, step_r;      /* i / nl and i % nl */
} group_walk;

static void walk_init(group_walk *g, int i, int nl) {
    g->i = i;
    g->nl = nl;
    g->j = 0;
    g->step_q = i / nl;
    g->step_r = i % nl;
    g->next = g->step_q; /* start of group 1 */
    g->rem = g->step_r;
}

/* Group of bin b; bins must be visited in ascending order. */
static int walk_group(group_walk *g, int b) {
    while (g->j < g->nl - 1 && b >= g->next) {
        g->j++;
        g->next += g->step_q;
        g->rem += g->step_r;
        if (g->rem >= g->nl) {
            g->next++;
            g->rem -= g->nl;
        }
    }
    return g->j;
}

/* KL(P||Q) for the candidate of i bins, as
 *   sum_b p_b log p_b  -  sum_groups P_g log q_g
 * (q is constant over a group's non-empty bins), so the logs cost
 * O(nl) per candidate and the first sum comes from a prefix table.
 * gsum/gnz are scratch of nl entries. */
static double kl_candidate(const calib_hist *h, const hist_index *ix, int i, int nl,
                           double *gsum, int *gnz) {
    for (int j = 0; j < nl; j++) {
        gsum[j] = 0.0;
        gnz[j] = 0;
    }
    const double total = ix->tail[0];
    const double p_last = ix->tail[i - 1]; /* bin i-1 plus outliers */
    const double q_total = total - ix->tail[i];
    if (!(q_total > 0.0)) return INFINITY;
    /* Group masses from the in-range counts; non-zero counts from P. */
    group_walk gw;
    walk_init(&gw, i, nl);
    int k = 0;
    for (; k < ix->nnz && ix->bins[k] < i - 1; k++) {
        int g = walk_group(&gw, ix->bins[k]);
        gsum[g] += h->count[ix->bins[k]];
        gnz[g]++;
    }
    const int g_last = nl - 1; /* bin i-1 always ends the last group */
    double kl = ix->plogp[k];
    double p_glast = gsum[g_last]; /* P mass of the last group: its bins... */
    gsum[g_last] += h->count[i - 1];
    if (p_last > 0.0) {
        gnz[g_last]++;
        p_glast += p_last;  /* ...plus bin i-1 with the outliers */
        kl += p_last / total * log(p_last / total);
    }
    for (int g = 0; g < nl; g++) {
        double pg = (g == g_last ? p_glast : gsum[g]) / total;
        if (!(pg > 0.0)) continue;
        double q = gsum[g] / gnz[g] / q_total;
        kl -= pg * log(q > KL_EPS ? q : KL_EPS);
    }
    return kl;
}

float calib_entropy_hist(const calib_hist *h, int nlevels, float max) {
    hist_index ix; /* ~24 KB on the stack: no allocation, no failure path */
    double gsum[CALIB_MAX_LEVELS];
    int gnz[CALIB_MAX_LEVELS];
    if (nlevels > CALIB_MAX_LEVELS) nlevels = CALIB_MAX_LEVELS;
    index_hist(h, &ix);
    if (ix.nnz == 0) return 0.0f;
    int end = ix.bins[ix.nnz - 1] + 1; /* no candidate beyond the data */
    if (end <= nlevels) return max;    /* every bin has its own level: no clip */
    double best = INFINITY;
    int best_i = end;
    for (int i = nlevels; i <= end; i++) {
        double kl = kl_candidate(h, &ix, i, nlevels, gsum, gnz);
        if (kl < best - 1e-12) { /* near-ties (rounding noise): keep the first */
            best = kl;
            best_i = i;
        }
    }
    double a = best_i * (h->range / CALIB_NBINS);
    return a < max ? (float)a : max;
}
