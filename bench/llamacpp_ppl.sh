#!/usr/bin/env bash
# Side by side with llama.cpp on stories260K (issue 16): convert the llama2.c
# checkpoint to GGUF F32, quantize it to Q4_0 and Q8_0 with llama.cpp's own
# quantizer, measure perplexity with llama.cpp (llama-cpp-python, in a venv
# outside the repo made by bench/llamacpp_venv.sh) and with vsq's mirror of
# the same tensor types, on the same text part.
#   bench/llamacpp_ppl.sh [OUTDIR]        (default OUTDIR: build/llamacpp)
# (python3-venv, from scripts/setup.sh, makes the venv.)
# Writes OUTDIR/*.json (one per run), OUTDIR/q4_0_types.json, and
# OUTDIR/llama_q4_0.bin: llama.cpp's dequantized Q4_0 weights as a llama2.c
# checkpoint, so vsq can run llama.cpp's exact weights.
# Environment: VSQ_SHARED (shared data), SPLIT (heldout; all for the whole
# text), LIMIT_WINDOWS (96; 0 = every window of the part).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out=${1:-$root/build/llamacpp}
shared=${VSQ_SHARED:-$root/../shared}
split=${SPLIT:-heldout}
lw=${LIMIT_WINDOWS:-96} # first windows of the part (0: all); the machine was shared
model="$shared/models/stories260K/stories260K.bin"
tok="$shared/models/stories260K/tok512.bin"
text="$shared/data/tinystories-val/valid-prefix.txt"
vsq="$root/build/vsq"
mkdir -p "$out"
venv=$("$root/bench/llamacpp_venv.sh")
py() { nice -n 5 "$venv/bin/python" "$root/bench/llamacpp_ppl.py" "$@"; }

[ -f "$out/f32.gguf" ] || py convert "$model" "$tok" "$out/f32.gguf"
for t in q4_0 q8_0; do
  [ -f "$out/$t.gguf" ] || py quantize "$out/f32.gguf" "$out/$t.gguf" $t
  py types "$out/$t.gguf" >"$out/${t}_types.json"
done
[ -f "$out/llama_q4_0.bin" ] || py ckpt "$out/q4_0.gguf" "$out/llama_q4_0.bin"

# llama.cpp: default F16 KV cache without and with flash attention, F32 KV
lc() { # NAME GGUF ARGS...
  local name=$1 g=$2; shift 2
  [ -f "$out/lc_${name}_$split.json" ] ||
    py ppl "$out/$g.gguf" "$text" --split "$split" --limit-windows "$lw" "$@" \
      >"$out/lc_${name}_$split.json"
}
lc f32 f32 --kv f32
lc q8_0 q8_0
lc q4_0 q4_0
lc q4_0_fa q4_0 --flash-attn
lc q4_0_kvf32 q4_0 --kv f32

# vsq: the mirror, one llama.cpp difference added at a time
vs() { # NAME ARGS...
  local name=$1; shift
  [ -f "$out/vsq_${name}_$split.json" ] ||
    nice -n 5 "$vsq" eval-lm --split "$split" --limit-windows "$lw" "$@" \
      --json "$out/vsq_${name}_$split.json" >/dev/null
}
# ffn_down's type under Q4_0 (its 172 columns are no multiple of 32)
w2=$(python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['blk.0.ffn_down.weight']; \
print({'F32':'fp32','F16':'fp16','Q8_0':'int8:v32:fp16'}[t])" "$out/q4_0_types.json")
Q4="--w int4f:v32:fp16 --a int8:v32:fp16 --tie-emb"
TYPES="cls=int8:v32:fp16,w2=$w2"
# (fp32, Q8_0 and all-matrices Q4_0 on the same windows: rows fp32, q8_0, q4_0
# of bench/llm_ppl_runs.sh; here only with SPLIT/LIMIT_WINDOWS other than
# heldout/96)
if [ "$split/$lw" != heldout/96 ]; then
  vs fp32
  vs q8_0 --w int8:v32:fp16 --a int8:v32:fp16 --tie-emb
  vs q4_0_all4 $Q4
fi
vs q4_0_types $Q4 --w-set "$TYPES"
vs q4_0_types_aq $Q4 --w-set "$TYPES" --a-quantized-only
vs q4_0_mirror $Q4 --w-set "$TYPES" --a-quantized-only --kv-f16
# weights alone: our Q4_0 rounding vs llama.cpp's (fp32 activations, fp32 KV)
vs q4_0_types_wonly --w int4f:v32:fp16 --tie-emb --w-set "$TYPES"
vs llama_weights --model "$out/llama_q4_0.bin"
vs llama_weights_kvf16 --model "$out/llama_q4_0.bin" --kv-f16
# the embedding path: the mirror with an fp32 (untied) embedding; and the
# tensor types of issue 16's first attempt (fp32 embedding, ffn_down fp32)
vs q4_0_mirror_untied --w int4f:v32:fp16 --a int8:v32:fp16 --w-set "$TYPES" \
   --a-quantized-only --kv-f16
vs q4_0_issue_types --w int4f:v32:fp16 --a int8:v32:fp16 --w-set cls=int8:v32:fp16,w2=fp32

# out of domain: WikiText-2 test, first 48 windows
wiki="$shared/data/wikitext-2/wiki.test.tokens.txt"
[ -f "$out/lc_f32_wiki48.json" ] ||
  py ppl "$out/f32.gguf" "$wiki" --limit-windows 48 --kv f32 >"$out/lc_f32_wiki48.json"
[ -f "$out/lc_q4_0_wiki48.json" ] ||
  py ppl "$out/q4_0.gguf" "$wiki" --limit-windows 48 >"$out/lc_q4_0_wiki48.json"
[ -f "$out/vsq_q4_0_mirror_wiki48.json" ] ||
  nice -n 5 "$vsq" eval-lm --text "$wiki" --limit-windows 48 $Q4 --w-set "$TYPES" \
    --a-quantized-only --kv-f16 --json "$out/vsq_q4_0_mirror_wiki48.json" >/dev/null
python3 - "$out" "$split" <<'PY'
import json, glob, os, sys
out, split = sys.argv[1], sys.argv[2]
for f in sorted(glob.glob(f"{out}/*_{split}.json") + glob.glob(f"{out}/*_wiki48.json")):
    r = json.load(open(f))
    print(f"{os.path.basename(f):40s} ppl {r['ppl']:.4f}  tokens {r['tokens']}"
          + (f"  bpw {r['bpw']:.3f}" if 'bpw' in r else "")
          + (f"  text_tokens {r['text_tokens']}" if 'text_tokens' in r else ""))
PY
