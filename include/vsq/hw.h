/* vsq/hw.h - hardware side of VS-Quant (paper 5-6, Fig. 2-6): a bit-accurate
 * model of the VS-Quant processing element, an area/energy cost model built
 * from component counts, Pareto fronts over accuracy bands, SVG plots and a
 * Verilog generator for the vector MAC. See docs/hardware.md.
 */
#ifndef VSQ_PUBLIC_HW_H
#define VSQ_PUBLIC_HW_H

#include <stddef.h>
#include <stdint.h>
#include "vsq/error.h"
#include "vsq/format.h"
#include "vsq/quant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- config */

/* One hardware configuration, the paper's W/A/ws/as plus V and R. */
typedef struct {
    int w_bits, a_bits;   /* N_w, N_a element bits */
    int ws_bits, as_bits; /* M_w, M_a per-vector scale bits; 0 = coarse ('-') */
    int v;                /* vector length V (lanes of a vector MAC) */
    int round_bits;       /* R: scale product rounded to R bits; 0 = full width */
} vsq_hw_cfg;

/* Scaling granularity (Table 8). */
typedef enum { VSQ_HW_POC = 0, VSQ_HW_PVWO = 1, VSQ_HW_PVAO = 2, VSQ_HW_PVAW = 3 } vsq_hw_gran;

/* Parse "W/A/ws/as" (e.g. "4/8/6/10", "8/8/-/-", "4/4U/4/4"). */
vsq_status vsq_hw_cfg_parse(const char *spec, int v, int round_bits, vsq_hw_cfg *out);
vsq_status vsq_hw_cfg_check(const vsq_hw_cfg *c);
int vsq_hw_cfg_str(const vsq_hw_cfg *c, char *buf, size_t size); /* "4/8/6/10" */
vsq_hw_gran vsq_hw_cfg_gran(const vsq_hw_cfg *c);
const char *vsq_hw_gran_name(vsq_hw_gran g);

/* Bits of the scale product fed to the partial-sum multiplier (Fig. 2b):
 * Mw+Ma (or the one per-vector side), or R when rounding to fewer bits. */
int vsq_hw_sprod_bits(const vsq_hw_cfg *c);

/* ------------------------------------------------------------ cost model */

/* Architecture and technology assumptions (defaults: vsq_hw_arch_default,
 * documented with their sources in docs/hardware.md). */
typedef struct {
    int n_mac;           /* vector MAC units per PE                            */
    int k_red;           /* reduction length for accumulator width + PPU amortising */
    int wbuf_entries;    /* weight buffer depth, vectors (whole PE)            */
    int abuf_entries;    /* activation buffer depth, vectors                   */
    int acc_entries;     /* accumulation collector entries per MAC unit        */
    int w_reuse;         /* weight vector reads reused temporally (cycles)     */
    /* area, NAND2 gate equivalents (GE) */
    double ge_fa;        /* one full-adder bit                                 */
    double ge_pp;        /* one partial-product bit of a multiplier (AND + FA) */
    double ge_ff;        /* one flip-flop bit                                  */
    double ge_rf;        /* one register-file bit (accumulation collector)     */
    double ge_sram;      /* one SRAM bit incl. periphery                       */
    double ge_ctrl;      /* fixed control logic of the PE                      */
    /* energy, pJ (Horowitz ISSCC 2014, 45 nm, 0.9 V) */
    double pj_add_bit;   /* per adder bit: 32-bit add 0.1 pJ / 32              */
    double pj_pp;        /* per partial-product bit: 8-bit mult 0.2 pJ / 64    */
    double pj_sram8k;    /* per bit read of an 8 KB SRAM: 10 pJ / 64           */
    double pj_ff;        /* per flip-flop bit clocked                          */
    double pj_ctrl;      /* fixed control/clock energy per MAC                 */
    double gate_frac;    /* <0: estimate zero-gating from R; else fraction of
                            vector MACs whose rounded scale product is 0      */
} vsq_hw_arch;

void vsq_hw_arch_default(vsq_hw_arch *arch);

/* Cost breakdown of one PE. Areas in GE, energies in pJ per MAC. */
enum { HW_MULT, HW_TREE, HW_SCALE, HW_ACC, HW_BUF, HW_COLL, HW_PPU, HW_CTRL, HW_NPARTS };
typedef struct {
    double area[HW_NPARTS], energy[HW_NPARTS];
    double area_total, energy_total;
    double area_rel, energy_rel; /* / 8/8/-/- with the same V and arch */
    double perf_per_area_rel;    /* 1 / area_rel (same throughput, paper 6) */
    double gate_frac;            /* zero-gating fraction used */
    int acc_bits;                /* accumulator width */
} vsq_hw_cost;

extern const char *const vsq_hw_part_names[HW_NPARTS];

/* Absolute cost (area_rel/energy_rel left 0). */
vsq_status vsq_hw_cost_abs(const vsq_hw_cfg *c, const vsq_hw_arch *arch, vsq_hw_cost *out);
/* Cost normalised to 8/8/-/- (same V, same arch). */
vsq_status vsq_hw_cost_eval(const vsq_hw_cfg *c, const vsq_hw_arch *arch, vsq_hw_cost *out);

/* Fraction of (sw, sa) pairs, uniform over 1..2^M-1, whose scale product
 * rounds to 0 at R bits (data gating, paper 5 / Fig. 3). */
double vsq_hw_gate_estimate(const vsq_hw_cfg *c);

/* --------------------------------------------------------------- PE model */

/* Accumulator width that provably cannot overflow (exact worst case of the
 * codes' ranges, the largest scale product and ceil(K/V) vectors). */
int vsq_pe_acc_bits(const vsq_format *wf, const vsq_format *af, int v, size_t k,
                    int round_bits);

typedef struct {
    int acc_bits;      /* accumulator width used (0: vsq_pe_acc_bits)     */
    int round_bits;    /* R                                                */
    int saturate;      /* 1: clamp at acc_bits, else wrap (two's complement) */
    size_t overflows;  /* out: number of accumulations that left the range  */
    int shift;         /* out: dropped scale product bits (Mw+Ma-R)        */
    size_t n_vmac;     /* out: vector MACs performed                       */
    size_t n_gated;    /* out: of those, rounded scale product 0 (gateable) */
} vsq_pe_opts;

/* Bit-accurate PE GEMM: acc[m][n] = sum_j dot_j * sprod_j (Fig. 2b) for
 * A: M x K and W: N x K. Two-level sides use s_q; pc/pt sides use s_q = 1
 * (their float scales are applied by the PPU). y (optional) = acc times
 * the coarse scales and 2^shift. */
vsq_status vsq_pe_gemm(const vsq_qtensor *a, const vsq_qtensor *w, vsq_pe_opts *opts,
                       int64_t *acc, float *y);

/* Post-processing unit (paper 5, Fig. 2c): requantize one output vector of
 * n accumulators to N-bit codes with integer ops only - vector max,
 * fixed-point reciprocal, multiply, shift - and, for two-level output, the
 * M-bit per-vector scale against a coarse step `gamma_acc` (in accumulator
 * units, Q16 fixed point). Returns the code scale amax/qmax as out_amax. */
typedef struct {
    int bits;          /* N of the output codes (signed symmetric) */
    int scale_bits;    /* M (0: no integer per-vector scale)       */
    uint64_t gamma_q16;/* coarse step in accumulator units, Q16    */
    int frac_bits;     /* reciprocal mantissa bits P (0: exact)    */
} vsq_ppu_cfg;

vsq_status vsq_ppu_requant(const vsq_ppu_cfg *cfg, const int64_t *x, size_t n, int16_t *codes,
                           uint32_t *sq, int64_t *amax);

/* ------------------------------------------------------ DSE and plotting */

typedef struct {
    char cfg[32];       /* "W/A/ws/as" */
    double metric;      /* top1 (higher better) or ppl (lower better) */
    int lower_better;
    char model[64];     /* optional "model" column */
    int v;              /* optional "v" column (0: the caller's default) */
    vsq_hw_cost cost;
    int band;           /* accuracy band index, -1: outside */
    int pareto;         /* 1: Pareto-optimal in its band */
} vsq_dse_point;

typedef struct {
    vsq_dse_point *p;
    size_t n, cap;
    int lower_better;   /* metric kind of the whole set */
    char metric_name[8];
} vsq_dse_set;

/* Append the rows of a CSV or JSON results file (see docs/hardware.md). */
vsq_status vsq_dse_load(const char *path, vsq_dse_set *set);
void vsq_dse_free(vsq_dse_set *set);

/* Assign bands: band b holds points whose loss vs baseline (baseline -
 * metric for top1, metric - baseline for ppl, both relative in % of the
 * baseline when `relative`) is <= edges[b] and > edges[b-1]. */
void vsq_dse_bands(vsq_dse_set *set, double baseline, const double *edges, int n_edges,
                   int relative);
/* Mark Pareto points per band: minimal energy_rel, maximal perf/area. */
void vsq_dse_pareto(vsq_dse_set *set);

/* SVG writers (written atomically). */
vsq_status vsq_svg_dse(const char *path, const vsq_dse_set *set, const double *edges,
                       int n_edges, double baseline, int relative, const char *title);
typedef struct {
    const char *label;
    double value[4];
} vsq_svg_group;
vsq_status vsq_svg_bars(const char *path, const char *title, const char *const *series,
                        int n_series, const vsq_svg_group *groups, int n_groups,
                        const char *ylabel);

/* ---------------------------------------------------------------- Verilog */

/* Verilog for the vector MAC of Fig. 2b with the widths of cfg. Returns a
 * malloc'd string. */
char *vsq_verilog_vmac(const vsq_hw_cfg *c, const char *module_name);
/* Width of the module's signed psum output. */
int vsq_verilog_psum_bits(const vsq_hw_cfg *c);

#ifdef __cplusplus
}
#endif
#endif
