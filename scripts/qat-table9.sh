#!/usr/bin/env bash
# Regenerates the Table 9 analogue (docs/results/qat_table9_{cnn,mbnet}.*):
# trains the fp32 checkpoints if they are missing, then runs
# vsq qat --table9 on each model with the same schedule. Every knob is an
# environment variable, so a reduced run is one documented command; the
# defaults are the full study.
#   OUT=docs/results CKPT_DIR=build/qat MODELS="cnn mbnet" PARALLEL=0
#   FP32_EPOCHS=8 QAT_EPOCHS=3 LIMIT_TRAIN= (all 60,000) LIMIT_TEST= (all 10,000)
#   SEEDS=1 KEY_SEEDS=3 BITS=4/4U,3/3U,2/4U SCALES=pc,fp32,6,4 THREADS=2 MAD=
# PARALLEL=1 runs the models side by side (one process each).
set -euo pipefail
cd "$(dirname "$0")/.."
vsq=${VSQ:-build/vsq}
out=${OUT:-docs/results}
ck=${CKPT_DIR:-build/qat}
threads=${THREADS:-2}
# waiting threads sleep instead of spinning: on a shared machine a spinning
# thread burns the CPU time its partner needs
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
mkdir -p "$out" "$ck"
limits=()
[ -n "${LIMIT_TRAIN:-}" ] && limits+=(--limit-train "$LIMIT_TRAIN")
[ -n "${LIMIT_TEST:-}" ] && limits+=(--limit-test "$LIMIT_TEST")

one_model() {
    local m=$1
    if [ ! -e "$ck/${m}_fp32.safetensors" ]; then
        nice "$vsq" train --model "$m" --epochs "${FP32_EPOCHS:-8}" --seed 1 --threads "$threads" \
            --out "$ck/${m}_fp32.safetensors" --json "$out/qat_fp32_$m.json" \
            --csv "$out/qat_fp32_$m.csv" --svg "$out/qat_fp32_$m.svg"
    fi
    nice "$vsq" qat --table9 --ckpt "$ck/${m}_fp32.safetensors" \
        --bits "${BITS:-4/4U,3/3U,2/4U}" --scales "${SCALES:-pc,fp32,6,4}" \
        --epochs "${QAT_EPOCHS:-3}" --seeds "${SEEDS:-1}" --key-seeds "${KEY_SEEDS:-3}" \
        --threads "$threads" "${limits[@]}" ${MAD:+--mad} \
        --md "$out/qat_table9_$m.md" --json "$out/qat_table9_$m.json" --svg "$out/qat_table9_$m.svg" \
        >"$out/qat_table9_$m.log" 2>&1
}

pids=()
for m in ${MODELS:-cnn mbnet}; do
    if [ "${PARALLEL:-0}" = 1 ]; then one_model "$m" & pids+=($!); else one_model "$m"; fi
done
for p in "${pids[@]}"; do wait "$p"; done
