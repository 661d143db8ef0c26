#!/usr/bin/env bash
# The main job on the bundled default: MobileNetV1 (alpha 0.75) on the 1300
# shared ImageNet validation images, fp32 and VS-Quant 4/4U/4/4 (4-bit
# weights and unsigned activations, 4-bit per-vector scales, V = 16).
# Results go to out/ as JSON; the tables print on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/vsq ] || scripts/build.sh
mkdir -p out
build/vsq eval-cnn --json out/cnn_fp32.json
build/vsq eval-cnn --cfg 4/4U/4/4 --json out/cnn_4_4U_4_4.json
