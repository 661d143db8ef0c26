#!/usr/bin/env bash
# The main job on the bundled default: MobileNetV1 (alpha 0.75) on the shared
# ImageNet validation images, fp32, then 6-bit weights and unsigned 6-bit
# activations with per-channel/per-tensor scales (6/6U/-/-, activations
# calibrated on the first 300 images and scored on the other 1000) and with
# VS-Quant two-level per-vector scales (6/6U/6/6, V = 16, dynamic
# activations, all 1300 images). JSON results go to out/; tables on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/vsq ] || scripts/build.sh
mkdir -p out
build/vsq eval-cnn --json out/cnn_fp32.json
build/vsq eval-cnn --cfg 6/6U/-/- --json out/cnn_6_6U_pc.json
build/vsq eval-cnn --cfg 6/6U/6/6 --json out/cnn_6_6U_6_6.json
