#!/usr/bin/env bash
# The stories260K perplexity runs behind docs/results/llm_ppl.md.
#   bench/llm_ppl_runs.sh select|final [OUTDIR]   (default OUTDIR: build/llm_ppl)
# select: candidate bit mixes / clip methods on the selection part of the
#         TinyStories prefix (--split select), GPTQ seed 0.
# final:  the reported rows on the held-out part (--split heldout) and on the
#         first 400 windows of WikiText-2 test; every GPTQ row at seeds 0 1 2.
# Each run writes one JSON (all options, split, CPU, command); the git
# commit goes into OUTDIR/commit. Runs are niced: the machine is shared.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
phase=${1:?select or final}
out=${2:-$root/build/llm_ppl}
vsq="$root/build/vsq"
shared=${VSQ_SHARED:-$root/../shared}
wiki="$shared/data/wikitext-2/wiki.test.tokens.txt"
mkdir -p "$out"
git -C "$root" rev-parse HEAD >"$out/commit"

# run NAME ARGS...: heldout/select (+ WikiText-2 in the final phase)
run() {
  local name=$1; shift
  if [ "$phase" = select ]; then
    [ -f "$out/sel_$name.json" ] || nice -n 5 "$vsq" eval-lm --split select "$@" --json "$out/sel_$name.json"
  else
    [ -f "$out/ho_$name.json" ] || nice -n 5 "$vsq" eval-lm --split heldout "$@" --json "$out/ho_$name.json"
    [ -f "$out/wt_$name.json" ] || nice -n 5 "$vsq" eval-lm --text "$wiki" --limit-windows 400 "$@" --json "$out/wt_$name.json"
  fi
}

V16="int4f:v16:s6r@pt"; A16="int8:v16:s10@pt"
V32="int4f:v32:s6r@pt"; A32="int8:v32:s10@pt"
G="--gptq 4096"

if [ "$phase" = select ]; then
  # clip method of the plain-rounding VS-Quant row
  run v16_max --w $V16 --a $A16 --tie-emb
  run v16_mse --w $V16:mse --a $A16 --tie-emb
  # clip method under GPTQ
  run v32_g --w $V32 --a $A32 $G --gptq-seed 0 --tie-emb
  run v32_g_mse --w $V32:mse --a $A32 $G --gptq-seed 0 --tie-emb
  # bit mixes (GPTQ, V=32, seed 0): which matrices get a 5th / 6th bit
  run mix_wv5 --w $V32 --a $A32 $G --gptq-seed 0 --tie-emb --w-set wv=int5f:v32:s6r@pt
  run mix_wvwk5 --w $V32 --a $A32 $G --gptq-seed 0 --tie-emb \
      --w-set wv=int5f:v32:s6r@pt,wk=int5f:v32:s6r@pt
  run mix_wvwkcls5 --w $V32 --a $A32 $G --gptq-seed 0 --tie-emb \
      --w-set wv=int5f:v32:s6r@pt,wk=int5f:v32:s6r@pt,cls=int5f:v32:s6r@pt
  run mix_cls5 --w $V32 --a $A32 $G --gptq-seed 0 --tie-emb --w-set cls=int5f:v32:s6r@pt
  run mix_wv6wkcls5 --w $V32 --a $A32 $G --gptq-seed 0 --tie-emb \
      --w-set wv=int6f:v32:s6r@pt,wk=int5f:v32:s6r@pt,cls=int5f:v32:s6r@pt
  exit 0
fi

# ---- final rows (mixes and clip methods as chosen on `select`) ----
run fp32
run q8_0 --w int8:v32:fp16 --a int8:v32:fp16 --tie-emb
run q4_0 --w int4f:v32:fp16 --a int8:v32:fp16 --tie-emb
run v16 --w "${V16_PLAIN:-$V16}" --a $A16 --tie-emb
for s in 0 1 2; do
  run q4_0_g_s$s --w int4f:v32:fp16 --a int8:v32:fp16 $G --gptq-seed $s --tie-emb
  run v16_g_s$s --w $V16 --a $A16 $G --gptq-seed $s --tie-emb
  run v32_g_s$s --w $V32 --a $A32 $G --gptq-seed $s --tie-emb
  [ -z "${MIX:-}" ] || run mix_g_s$s --w $V32 --a $A32 $G --gptq-seed $s --tie-emb --w-set "$MIX"
done
