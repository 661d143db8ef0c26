#!/usr/bin/env python3
"""Tables of docs/results/llm_ppl.md from the JSONs of bench/llm_ppl_runs.sh.

  bench/llm_ppl_table.py RUNDIR OUTPREFIX
prints the Markdown tables (selection, final rows with seed mean and range)
and writes OUTPREFIX.csv and OUTPREFIX.json (every run, as eval-lm wrote it).
Plain Python 3, no packages.
"""
import csv
import glob
import json
import os
import re
import sys

run_dir, prefix = sys.argv[1], sys.argv[2]
runs = {}
for f in sorted(glob.glob(os.path.join(run_dir, "*.json"))):
    runs[os.path.basename(f)[:-5]] = json.load(open(f))


def overrides(r):
    return r.get("w_set", "")


def fmt_ppl(vals):
    if len(vals) == 1:
        return f"{vals[0]:.4f}"
    m = sum(vals) / len(vals)
    return f"{m:.4f} ± {(max(vals) - min(vals)) / 2:.4f} ({min(vals):.4f}–{max(vals):.4f})"


SELECT = [
    ("sel_v16_max", "2L V16 s6r@pt int4f, max clip"),
    ("sel_v16_mse", "2L V16 s6r@pt int4f, MSE clip"),
    ("sel_v32_g", "2L V32 s6r@pt int4f + GPTQ, max clip"),
    ("sel_v32_g_mse", "2L V32 s6r@pt int4f + GPTQ, MSE clip"),
    ("sel_mix_none", "2L V32 + GPTQ, every matrix 4 bits"),
    ("sel_mix_wv5", "  + wv 5 bits"),
    ("sel_mix_wvwkcls5", "  + wv wk cls 5 bits"),
]
print("### Selection (--split select, --gptq-seed 0 = sampler state 1)\n")
print("| candidate | weights | overrides | bpw | windows | PPL select |")
print("|---|---|---|---|---|---|")
for key, label in SELECT:
    if key in runs:
        r = runs[key]
        print(f"| {label} | `{r['w']}` | `{overrides(r)}` | {r['bpw']:.3f} | {r['windows']} "
              f"| {r['ppl']:.4f} |")

FINAL = [
    ("fp32", "fp32"),
    ("q8_0", "Q8_0 layout (`int8:v32:fp16`, emb tied)"),
    ("q4_0", "Q4_0 layout, every matrix (`int4f:v32:fp16`)"),
    ("v16", "VS-Quant 2L V16 s6r@pt int4f"),
    ("q4_0_g", "Q4_0 layout + GPTQ"),
    ("mix_g", "VS-Quant 2L V32 s6r@pt + GPTQ, mix chosen on select"),
]
print("\n### Held-out and WikiText-2\n")
print("| config | weights | activations | overrides | bpw | bpw linear | seeds "
      "| PPL held-out | PPL WikiText-2 |")
print("|---|---|---|---|---|---|---|---|---|")
rows = []
for key, label in FINAL:
    ho = [runs[k] for k in sorted(runs) if re.fullmatch(f"ho_{key}(_s\\d+)?", k)]
    wt = [runs[k] for k in sorted(runs) if re.fullmatch(f"wt_{key}(_s\\d+)?", k)]
    if not ho:
        continue
    r = ho[0]
    seeds = ",".join(str(int(x["gptq_seed"])) for x in ho if "gptq_seed" in x) or "-"
    print(f"| {label} | `{r['w']}` | `{r['a']}` | `{overrides(r)}` | {r['bpw']:.3f} "
          f"| {r['bpw_linear']:.3f} | {seeds} | {fmt_ppl([x['ppl'] for x in ho])} "
          f"| {fmt_ppl([x['ppl'] for x in wt]) if wt else ''} |")

with open(prefix + ".csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["run", "split", "w", "a", "w_set", "tie_emb", "gptq_tokens", "gptq_seed",
                "bpw", "bpw_linear", "ppl", "nll", "tokens", "text"])
    for k, r in runs.items():
        w.writerow([k, r["split"], r["w"], r["a"], overrides(r), r["tie_emb"],
                    r["gptq_tokens"], r.get("gptq_seed", ""), f"{r['bpw']:.4f}",
                    f"{r['bpw_linear']:.4f}", f"{r['ppl']:.4f}", f"{r['nll']:.5f}",
                    r["tokens"], os.path.basename(r["text"])])
json.dump(runs, open(prefix + ".json", "w"), indent=1)
