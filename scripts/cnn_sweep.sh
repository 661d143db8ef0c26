#!/usr/bin/env bash
# Regenerate every MobileNetV1 results table in docs/results/ (docs/cnn.md).
# Long: hours on 2 cores (Table 5 alone is 96 configurations). Manual, or
# the "full" CTest label (tests/test_cnn_full.c runs `--sweep all`).
#   scripts/cnn_sweep.sh [BUILD_DIR] [OUT_DIR]
# Each command below is the exact one that produced the checked-in file.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
OUT=${2:-docs/results}
VSQ="$B/vsq"
[ -x "$VSQ" ] || scripts/build.sh "$B"
mkdir -p "$OUT"

# fp32, Keras semantics and the reference-compatible variant (all 1300 images)
"$VSQ" eval-cnn --json "$OUT/cnn_fp32.json" --csv "$OUT/cnn_fp32.csv"
"$VSQ" eval-cnn --ref-compat --json "$OUT/cnn_fp32_refcompat.json" --csv "$OUT/cnn_fp32_refcompat.csv"

# Table 3 (eval 300..1299, calib 0..299)
"$VSQ" eval-cnn --sweep table3 --out "$OUT"

# Subsets, as checked in (see docs/cnn.md for the splits)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$VSQ" eval-cnn --sweep table2 --limit 300 --calib-images 100 --out "$tmp"
for f in md csv json; do mv "$tmp/cnn_table2.$f" "$OUT/cnn_table2_subset.$f"; done
"$VSQ" eval-cnn --sweep table4 --limit 500 --out "$tmp"
for f in md csv json; do mv "$tmp/cnn_table4.$f" "$OUT/cnn_table4_subset.$f"; done
"$VSQ" eval-cnn --sweep variants --limit 300 --calib-images 100 --out "$tmp"
for f in md csv json; do mv "$tmp/cnn_variants.$f" "$OUT/cnn_variants_subset.$f"; done

# Table 5 (two-level scales; eval 300..699, calib 0..299 for the per-channel column)
"$VSQ" eval-cnn --sweep table5 --limit 700 --calib-images 300 --out "$OUT"

# Per-vector weights only (PVWO) on the same images, for the DSE
pv="$OUT/cnn_table5_pvwo.csv"
{
  echo "# Per-vector weights only (PVWO): two-level int W (ws bits, gamma per output channel), per-tensor max-calibrated uint A (calib images 0..299), MobileNetV1 0.75, eval images 300..699."
  echo "# Each row: vsq eval-cnn --cfg CFG --limit 700 --calib-images 300 --json OUT.json"
  echo "cfg,v,w,a,n,first_image,top1,top5"
  for c in 6/8U/6/- 6/6U/6/- 8/6U/6/- 8/4U/6/- 4/8U/4/-; do
    "$VSQ" eval-cnn --cfg "$c" --limit 700 --calib-images 300 --json "$tmp/pv.json" >/dev/null
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print('%s,16,%s,%s,%d,%d,%.4f,%.4f' % (sys.argv[2], d['w'], d['a'], d['n'], d['first_image'], d['top1'], d['top5']))" "$tmp/pv.json" "$c"
  done
} > "$pv"

# Hardware design-space exploration on Table 5 (baseline: fp32 top-1 on 300..699,
# printed by the sweep and stored as fp32_top1 in cnn_table5.json)
base=$(sed -n 's/.*"fp32_top1": \([0-9.]*\).*/\1/p' "$OUT/cnn_table5.json" | head -1)
"$VSQ" dse --results "$OUT/cnn_table5.csv" --out "$OUT/hw_dse_mobilenet" --baseline "$base" \
  --title "MobileNetV1 0.75 (Table 5 analogue, images 300..699)"
"$VSQ" dse --results "$OUT/cnn_table5.csv" "$pv" --out "$OUT/hw_dse_mobilenet/wide" \
  --baseline "$base" --bands 1,5,10,25 --title "MobileNetV1 0.75 (Table 5 + PVWO, wide bands)"

# End-to-end speed, fp32 vs two-level W8A8 / W4A8, fake-quant and packed kernels
# (same images, one after another; docs/results/cnn_speed.md)
for args in "" "--cfg 8/8U/6/6" "--cfg 8/8U/6/6 --kernel packed" "--cfg 4/8U/4/6" \
            "--cfg 4/8U/4/6 --kernel packed"; do
  # shellcheck disable=SC2086
  "$VSQ" eval-cnn $args --limit 300 --json "$tmp/speed.json" | tail -1
done
