#!/usr/bin/env bash
# Run `vsq bench` and render docs/results/bench.md from its JSON.
#   bench/run.sh [--quick] [--threads 1,2] [--build DIR]
# The JSON goes to docs/results/bench.json next to the table.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
vsq="$build/vsq"
[ -x "$vsq" ] || { echo "bench/run.sh: $vsq not built (cmake --build $build)" >&2; exit 2; }
out="$root/docs/results"
mkdir -p "$out"
cmd="vsq bench ${args[*]:-} --json docs/results/bench.json"
"$vsq" bench "${args[@]}" --json "$out/bench.json"
python3 - "$out/bench.json" "$out/bench.md" "$cmd" <<'PY'
import json, sys, platform, datetime, os
recs = json.load(open(sys.argv[1]))
cpu = "?"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip(); break
except OSError:
    pass
L = []
L.append("# Kernel benchmarks\n")
L.append(f"Produced by `{sys.argv[3]}` (via `bench/run.sh`) on {cpu}, "
         f"{os.cpu_count()} logical CPUs, {datetime.date.today()}. "
         "The machine is shared with other jobs: numbers are noisy; compare ratios from the same run.\n")
L.append("`gops` = 2*m*n*k / time (for quantizers: elements/s / 2, i.e. `gbps`/8); `gbps` = bytes "
         "moved (packed weights + activations + output) / time; `vs_ref` = ours / scalar "
         "reference kernel (VSQ_ISA=ref, rate measured on a slice); `vs_blas` = ours / OpenBLAS "
         "SGEMM or SGEMV (fp32) on the same shape, same threads; `%peak` = gops / measured int8-dot "
         "peak; `%mem` = gbps / measured read bandwidth.\n")
for t in sorted({r["threads"] for r in recs}):
    lim = [r for r in recs if r["threads"] == t and r["kernel"] == "limits"]
    if lim:
        l = lim[0]
        L.append(f"\n## {t} thread(s)\n")
        L.append(f"Limits: read **{l['mem_gbps']:.1f} GB/s** ({l.get('mem_reader', 'plain loop')}); "
                 f"int8 dot ({l.get('peak_int8_what', 'vpmaddubsw+vpmaddwd')}) "
                 f"**{l['peak_gops']:.1f} GOPS**; vpmaddwd "
                 f"{l['peak_madd16_gops']:.1f} GOPS; fp32 FMA {l['peak_fma_gflops']:.1f} GFLOPS; "
                 f"isa {l['isa']} (available: {', '.join(l.get('isas', []))}).\n")
        per = [f"{k}: {v:.1f}" for k, v in l.items() if k.startswith(("peak_int8_", "peak_fma_", "read_"))
               and k != "peak_fma_gflops" and isinstance(v, (int, float))]
        if per:
            L.append("Every loop and reader measured: " + "; ".join(per) + ".\n")
    L.append("| kernel | fmt | m | n | k | isa | GOPS | GB/s | vs_ref | vs_blas | %peak | %mem |")
    L.append("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in recs:
        if r["threads"] != t or r["kernel"] == "limits":
            continue
        L.append(f"| {r['kernel']} | {r['fmt']} | {r['m']} | {r['n']} | {r['k']} | {r['isa']} | "
                 f"{r['gops']:.2f} | {r['gbps']:.2f} | {r['vs_ref']:.1f} | "
                 f"{r['vs_openblas']:.2f} | {r['pct_peak']:.0f} | {r['pct_mem']:.0f} |")
open(sys.argv[2], "w").write("\n".join(L) + "\n")
print(f"wrote {sys.argv[2]} ({len(recs)} records)")
PY
