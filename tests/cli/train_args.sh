#!/usr/bin/env bash
# CLI test: vsq train / vsq qat bad input (exit 2, a one-line message
# naming the problem): options, a missing data set (names the Debian
# package), corrupt IDX files, formats the QAT engine cannot use, a file
# that is not a checkpoint. Skips (77) without the Fashion-MNIST package.
# usage: train_args.sh PATH-TO-VSQ SHARED-DIR
set -u
vsq=$1
fm=${VSQ_FMNIST:-/usr/share/datasets/fashion-mnist}
[ -e "$fm/t10k-labels-idx1-ubyte.gz" ] || { echo "SKIP: $fm missing"; exit 77; }
tmp=$(mktemp -d /tmp/vsq_cli_train_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

expect 2 "unknown option" "$vsq" train --bogus
expect 2 "cnn or mbnet" "$vsq" train --model resnet
expect 2 "bad --epochs" "$vsq" train --epochs -1
expect 2 "bad --lr" "$vsq" train --lr nan
expect 2 "dataset-fashion-mnist" "$vsq" train --data "$tmp/none"
expect 2 "required" "$vsq" qat --cfg 4/4U/4/4

# corrupt data: a truncated image file and a label file from another set
mkdir "$tmp/bad"
cp "$fm"/*.gz "$tmp/bad/"
gzip -dc "$fm/t10k-images-idx3-ubyte.gz" | head -c 100000 | gzip >"$tmp/bad/t10k-images-idx3-ubyte.gz"
expect 2 "truncated" "$vsq" train --data "$tmp/bad" --epochs 1 --limit-train 64
cp "$fm/t10k-labels-idx1-ubyte.gz" "$tmp/bad/train-labels-idx1-ubyte.gz"
expect 2 "10000 labels for 60000 images" "$vsq" train --data "$tmp/bad" --epochs 1 --limit-train 64

# a checkpoint to quantize: one tiny epoch
expect 0 "" "$vsq" train --model mbnet --epochs 1 --limit-train 128 --limit-test 64 --out "$tmp/m.safetensors" \
    --json "$tmp/t.json" --csv "$tmp/t.csv" --svg "$tmp/t.svg"
for key in commit cpu seed lr epochs images_per_s test_acc; do
    grep -q "\"$key\":" "$tmp/t.json" || fail "train JSON lacks key $key"
done
grep -q "^1," "$tmp/t.csv" || fail "train CSV lacks epoch 1"
grep -q "<polyline" "$tmp/t.svg" || fail "train SVG has no curve"
expect 2 "per-channel" "$vsq" qat --ckpt "$tmp/m.safetensors" --w int4:pc --a int4:pc --epochs 0 --limit-test 64
expect 2 "two-level" "$vsq" qat --ckpt "$tmp/m.safetensors" --w int4:pt:s4 --a uint4:pt --epochs 0
expect 2 "weight scale 'x'" "$vsq" qat --ckpt "$tmp/m.safetensors" --cfg 4/4U/x/y --epochs 0
printf 'not a checkpoint' >"$tmp/x.safetensors"
expect 2 "x.safetensors" "$vsq" qat --ckpt "$tmp/x.safetensors" --cfg 4/4U/4/4 --epochs 0
expect 0 "PTQ" "$vsq" qat --ckpt "$tmp/m.safetensors" --cfg 4/4U/4/4 --epochs 1 --limit-train 64 \
    --limit-test 64 --json "$tmp/q.json"
grep -Eq '"best_qat_epoch":[[:space:]]*1' "$tmp/q.json" || fail "qat JSON lacks best_qat_epoch 1"
grep -Eq '"w":[[:space:]]*"int4:v16:s4' "$tmp/q.json" || fail "qat JSON lacks the weight format"

[ "$fails" -eq 0 ] && echo "all train/qat CLI checks passed"
exit $((fails > 0))
