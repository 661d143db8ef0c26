#!/usr/bin/env bash
# CLI test: GPTQ weight rounding rescues 4-bit per-vector weights of
# MobileNetV1. Plain rounding of int4:v16 weights collapses the network
# (< 10 % top-1 on images 0..99); GPTQ calibrated on images 0..15 keeps it
# above 55 % on images 300..399 (fp32 there: about 77 %; full numbers in
# docs/results/cnn_gptq.md). Also: a bad --gptq value is rejected.
# usage: cnn_gptq.sh PATH-TO-VSQ SHARED-DIR
set -u
vsq=$1
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
tmp=$(mktemp -d /tmp/vsq_cli_gptq_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
top1() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["top1"])' "$1"; }

"$vsq" eval-cnn --w int4:v16 --limit 100 --json "$tmp/plain.json" >/dev/null || { echo "FAIL: plain run"; exit 1; }
"$vsq" eval-cnn --w int4:v16 --gptq 16 --limit 400 --json "$tmp/gptq.json" >/dev/null || { echo "FAIL: gptq run"; exit 1; }
plain=$(top1 "$tmp/plain.json"); gptq=$(top1 "$tmp/gptq.json")
echo "int4:v16 top-1: plain $plain %, gptq $gptq %"
python3 -c "import sys; p,g=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if p < 10 and g > 55 else 1)" "$plain" "$gptq" \
  || { echo "FAIL: expected plain < 10 and gptq > 55"; exit 1; }
if "$vsq" eval-cnn --w int4:v16 --gptq 400 --limit 500 --json "$tmp/x.json" 2>"$tmp/err"; then
  echo "FAIL: --gptq beyond the calibration split accepted"; exit 1
fi
grep -q "calibration split" "$tmp/err" || { echo "FAIL: message: $(cat "$tmp/err")"; exit 1; }
echo "1 passed, 0 failed"
