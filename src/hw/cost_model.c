/* hw/cost_model.c - area and energy of one VS-Quant PE (paper 5, Fig. 2)
 * from component counts x per-component costs. Per-component figures and
 * architecture assumptions are stated in docs/hardware.md; the energy
 * figures are Horowitz (ISSCC 2014, 45 nm). Everything is reported
 * relative to the 8/8/-/- design, as in the paper's Figures 3-6.
 */
#include <math.h>
#include <string.h>

#include "hw/hw.h"

const char *const vsq_hw_part_names[HW_NPARTS] = {
    "multipliers", "adder_tree", "scale_datapath", "accumulator",
    "buffers",     "collectors", "ppu",            "control"};

void vsq_hw_arch_default(vsq_hw_arch *a) {
    memset(a, 0, sizeof *a);
    a->n_mac = 16;         /* MAGNet-style PE: 16 vector MAC units      */
    a->k_red = 4096;       /* longest reduction (BERT FFN, 3x3x512 conv) */
    a->wbuf_entries = 2048;/* 32 KB at 8 bit, V = 16                     */
    a->abuf_entries = 512; /*  8 KB at 8 bit, V = 16                     */
    a->acc_entries = 32;   /* partial sums held per MAC unit             */
    a->w_reuse = 16;       /* weight collector: one read per 16 cycles   */
    a->ge_fa = 6.0;
    a->ge_pp = 7.0;
    a->ge_ff = 5.5;
    a->ge_rf = 3.0;
    a->ge_sram = 1.0;
    a->ge_ctrl = 20000.0;
    a->pj_add_bit = 0.1 / 32;  /* Horowitz: 32-bit add 0.1 pJ  */
    a->pj_pp = 0.2 / 64;       /* Horowitz: 8-bit mult 0.2 pJ  */
    a->pj_sram8k = 10.0 / 64;  /* Horowitz: 64-bit read, 8 KB SRAM 10 pJ */
    a->pj_ff = 0.002;          /* assumed: ~2/3 of an adder bit */
    a->pj_ctrl = 0.02;         /* assumed control/clock per MAC */
    a->gate_frac = -1.0;       /* estimate from R */
}

static int ceil_log2(long x) {
    int b = 0;
    while ((1L << b) < x) b++;
    return b;
}

/* Horowitz: SRAM read energy grows ~ sqrt(capacity) (8 KB 10 pJ, 32 KB 20,
 * 1 MB 100 per 64 bits). Capacity taken at the 8-bit design's size: bit-line
 * energy follows depth, which narrower elements do not change. */
static double sram_pj_per_bit(const vsq_hw_arch *a, double bytes) {
    return a->pj_sram8k * sqrt(bytes / 8192.0);
}

double vsq_hw_gate_estimate(const vsq_hw_cfg *c) {
    int full = c->ws_bits + c->as_bits, r = vsq_hw_sprod_bits(c);
    if (full == 0 || r >= full) return 0.0;
    /* rounded product is 0 iff sw*sa < 2^(full-r-1) (nearest, ties away) */
    long t = 1L << (full - r - 1);
    long mw = c->ws_bits ? (1L << c->ws_bits) - 1 : 1;
    long ma = c->as_bits ? (1L << c->as_bits) - 1 : 1;
    double zero = 0;
    for (long sw = 1; sw <= mw; sw++) {
        long n = (t + sw - 1) / sw - 1; /* sa < t/sw */
        zero += (double)(n < ma ? n : ma);
    }
    return zero / ((double)mw * (double)ma);
}

/* Fig. 2b: V products N_w x N_a and a binary adder tree of V-1 adders that
 * widen by one bit per level up to 2N + log2 V. Returns adder bits. */
static double tree_bits(const vsq_hw_cfg *c) {
    double bits = 0;
    long n = c->v;
    for (int l = 1; n > 1; l++) {
        long adders = n / 2;
        bits += (double)adders * (c->w_bits + c->a_bits + l);
        n = n - adders;
    }
    return bits;
}

vsq_status vsq_hw_cost_abs(const vsq_hw_cfg *c, const vsq_hw_arch *a, vsq_hw_cost *o) {
    vsq_status st = vsq_hw_cfg_check(c);
    if (st != VSQ_OK) return st;
    if (a->n_mac < 1 || a->k_red < 1 || a->w_reuse < 1 || a->wbuf_entries < 1 ||
        a->abuf_entries < 1 || a->acc_entries < 1)
        return vsq_error(VSQ_EINVAL, "hw arch: counts must be positive");
    memset(o, 0, sizeof *o);
    const double V = c->v, K = a->n_mac;
    int lg = ceil_log2(c->v);
    int dot_bits = c->w_bits + c->a_bits + lg;   /* 2N + log2 V */
    int sp = vsq_hw_sprod_bits(c);               /* Mw+Ma, or R */
    int psum_bits = dot_bits + sp;               /* 2N + log2 V + 2M */
    o->acc_bits = psum_bits + ceil_log2((a->k_red + c->v - 1) / c->v);
    double gate = a->gate_frac >= 0 ? a->gate_frac : vsq_hw_gate_estimate(c);
    o->gate_frac = gate;

    /* multipliers and adder tree: per MAC unit, energy per MAC (per lane) */
    double pp = (double)c->w_bits * c->a_bits, tb = tree_bits(c);
    o->area[HW_MULT] = K * V * pp * a->ge_pp;
    o->energy[HW_MULT] = pp * a->pj_pp;
    o->area[HW_TREE] = K * tb * a->ge_fa;
    o->energy[HW_TREE] = tb * a->pj_add_bit / V;

    /* scale datapath (Fig. 2b): sw x sa multiplier when both sides are per
     * vector, an R-bit rounding incrementer, the dot x sprod multiplier. */
    double s_pp = (c->ws_bits && c->as_bits) ? (double)c->ws_bits * c->as_bits : 0;
    double s_rnd = (sp < c->ws_bits + c->as_bits) ? sp : 0;
    double p_pp = sp ? (double)dot_bits * sp : 0;
    o->area[HW_SCALE] = K * ((s_pp + p_pp) * a->ge_pp + s_rnd * a->ge_fa);
    o->energy[HW_SCALE] = ((s_pp * a->pj_pp + s_rnd * a->pj_add_bit) +
                           (1 - gate) * p_pp * a->pj_pp) / V;

    /* accumulation collector: one adder per MAC unit + a register file of
     * acc_entries partial sums, read and written once per vector MAC. */
    double rf_bits = (double)a->acc_entries * o->acc_bits;
    double rf_pj = sram_pj_per_bit(a, K * a->acc_entries * 32 / 8.0);
    o->area[HW_ACC] = K * (o->acc_bits * a->ge_fa + rf_bits * a->ge_rf);
    o->energy[HW_ACC] = (1 - gate) * o->acc_bits * (a->pj_add_bit + 2 * rf_pj) / V;

    /* weight and activation buffers hold each vector with its scale (paper
     * 5). Weights: one read per w_reuse cycles; activations: one read shared
     * by the n_mac units. */
    double wvec = V * c->w_bits + c->ws_bits, avec = V * c->a_bits + c->as_bits;
    double wbytes8 = a->wbuf_entries * V, abytes8 = a->abuf_entries * V;
    o->area[HW_BUF] = (a->wbuf_entries * wvec + a->abuf_entries * avec) * a->ge_sram;
    o->energy[HW_BUF] = (wvec * sram_pj_per_bit(a, wbytes8) / a->w_reuse +
                         avec * sram_pj_per_bit(a, abytes8) / K) / V;

    /* weight collectors (one vector per MAC unit) + activation register */
    o->area[HW_COLL] = (K * wvec + avec) * a->ge_ff;
    o->energy[HW_COLL] = (wvec / a->w_reuse + avec / K) * a->pj_ff / V;

    /* PPU, one output per cycle: int->fp convert + fp32 coarse scale
     * (24x24 mult) in every design; per-vector activations add a vector max
     * (comparator), a 16-bit reciprocal (2 Newton steps: 2 16x16 mults), a
     * quantizing multiply acc x 16 and a barrel shifter (paper 5, Fig. 2c). */
    double sh = o->acc_bits * ceil_log2(o->acc_bits);
    double ppu_pp = 24.0 * 24.0, ppu_fa = sh * 0.5;
    if (c->as_bits) {
        ppu_pp += 2 * 16.0 * 16.0 + 16.0 * o->acc_bits;
        ppu_fa += o->acc_bits + sh * 0.5;
    }
    o->area[HW_PPU] = ppu_pp * a->ge_pp + ppu_fa * a->ge_fa;
    o->energy[HW_PPU] = (ppu_pp * a->pj_pp + ppu_fa * a->pj_add_bit) / a->k_red;

    o->area[HW_CTRL] = a->ge_ctrl;
    o->energy[HW_CTRL] = a->pj_ctrl;

    for (int i = 0; i < HW_NPARTS; i++) {
        o->area_total += o->area[i];
        o->energy_total += o->energy[i];
    }
    return VSQ_OK;
}

vsq_status vsq_hw_cost_eval(const vsq_hw_cfg *c, const vsq_hw_arch *a, vsq_hw_cost *o) {
    vsq_hw_cfg base = {8, 8, 0, 0, c->v, 0};
    vsq_hw_cost b;
    vsq_status st = vsq_hw_cost_abs(&base, a, &b);
    if (st == VSQ_OK) st = vsq_hw_cost_abs(c, a, o);
    if (st != VSQ_OK) return st;
    o->area_rel = o->area_total / b.area_total;
    o->energy_rel = o->energy_total / b.energy_total;
    o->perf_per_area_rel = 1.0 / o->area_rel;
    return VSQ_OK;
}
