#!/usr/bin/env bash
# SmolLM2-135M-Instruct (GGUF, Q4_1) side by side with llama.cpp on the same
# file, same machine, same thread count (issue 13):
#   1. tokenization of WikiText-2 test: vsq tokenize vs llama.cpp tokenize;
#   2. greedy decode of N tokens after a short prompt: ids and tokens/s, for
#      llama.cpp, vsq as stored, and vsq W8A8 / W4A8 two-level (packed);
#   3. perplexity on the first W windows of WikiText-2 test (llama.cpp's
#      protocol, ctx 512, second half scored), vsq as stored (Q4_1 / Q8_0
#      blocks, Q8 activations) and re-quantized from the file's fp32 form.
# usage: bench/smollm2_llamacpp.sh OUT_DIR [THREADS] [WINDOWS] [DECODE_TOKENS]
# llama.cpp comes from bench/llamacpp_venv.sh (a venv outside the repo).
# VSQ_LLAMACPP_BUFFERS=plain|repack (default: llama.cpp's choice) says where
# llama.cpp keeps the weights (bench/llamacpp_bufts.py; on CPUs whose AMX
# faults under virtualization, as the project's Xeon VM, use plain).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: smollm2_llamacpp.sh OUT_DIR [THREADS] [WINDOWS] [DECODE_TOKENS]}
threads=${2:-1}
windows=${3:-8}
ntok=${4:-128}
vsq=${VSQ:-$root/build/vsq}
gguf=${VSQ_GGUF:-${VSQ_CACHE:-$HOME/.cache/vsquant}/SmolLM2-135M-Instruct.Q4_1.gguf}
text=${VSQ_SHARED:-$root/../shared}/data/wikitext-2/wiki.test.tokens.txt
[ -s "$gguf" ] || { echo "no $gguf: run scripts/fetch-models.sh" >&2; exit 2; }
mkdir -p "$out"
venv=$("$root/bench/llamacpp_venv.sh")
py=$venv/bin/python
export OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=passive
prompt="The capital of France is"
bufs=${VSQ_LLAMACPP_BUFFERS:-default}
{
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "commit: $(git -C "$root" rev-parse --short HEAD)  threads: $threads  windows: $windows"
    echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/run.txt"

# 1. tokenization
"$vsq" tokenize --model "$gguf" --text "$text" | tr ' ' '\n' >"$out/ids_vsq.txt"
"$py" - "$gguf" "$text" >"$out/ids_llamacpp.txt" <<'PY'
import sys, llama_cpp
m = llama_cpp.Llama(model_path=sys.argv[1], vocab_only=True, verbose=False)
print("\n".join(map(str, m.tokenize(open(sys.argv[2], "rb").read(), add_bos=False, special=False))))
PY
if cmp -s "$out/ids_vsq.txt" "$out/ids_llamacpp.txt"; then
    echo "tokenization: identical, $(wc -l <"$out/ids_vsq.txt") tokens" | tee -a "$out/run.txt"
else
    echo "tokenization: DIFFERENT (diff $out/ids_*.txt)" | tee -a "$out/run.txt"
fi

# 2. decode: llama.cpp, then vsq (as stored) with the same prompt and length
"$py" "$root/bench/llamacpp_decode.py" "$gguf" "$prompt" "$ntok" "$threads" "$bufs" >"$out/decode_llamacpp.json"
"$vsq" generate --model "$gguf" --prompt "$prompt" --temp 0 --steps $((ntok + 5)) \
    >"$out/decode_vsq.txt" 2>"$out/decode_vsq.err"
echo "decode: llama.cpp $(python3 -c "import json;d=json.load(open('$out/decode_llamacpp.json'));print('%.1f tok/s, prompt %.1f tok/s' % (d['decode_tokens_per_s'], d['prompt_tokens_per_s']))");" \
     "vsq $(grep -o 'achieved tok/s: [0-9.]*' "$out/decode_vsq.err")" | tee -a "$out/run.txt"

# vsq re-quantized from the fp32 form, on the packed integer kernels (the
# same run also times the as-stored path)
for wa in "int8:v16:s8 int8:v16:s10" "int4:v16:s6 int8:v16:s10"; do
    set -- $wa
    "$vsq" generate --model "$gguf" --prompt "$prompt" --temp 0 --steps $((ntok + 5)) \
        --w "$1" --a "$2" 2>&1 >/dev/null | tail -1 | sed "s/^/decode vsq W=$1 A=$2: /" | tee -a "$out/run.txt"
done

# 3. perplexity on the same windows
"$py" "$root/bench/llamacpp_ppl.py" ppl "$gguf" "$text" --limit-windows "$windows" \
    --threads "$threads" --buffers "$bufs" >"$out/ppl_llamacpp.json"
"$vsq" eval-lm --model "$gguf" --text "$text" --limit-windows "$windows" \
    --json "$out/ppl_vsq_stored.json" 2>/dev/null
"$vsq" eval-lm --model "$gguf" --text "$text" --limit-windows "$windows" \
    --w int8:v32:fp16 --a int8:v32:fp16 --json "$out/ppl_vsq_q8.json" 2>/dev/null
"$vsq" eval-lm --model "$gguf" --text "$text" --limit-windows "$windows" \
    --w int4:v16:s6@pt --a int8:v16:s10@pt --json "$out/ppl_vsq_w4a8.json" 2>/dev/null
python3 - "$out" <<'PY' | tee -a "$out/run.txt"
import json, sys, os
o = sys.argv[1]
L = json.load(open(os.path.join(o, "ppl_llamacpp.json")))
print(f"perplexity, first {L['windows']} windows of WikiText-2 test ({L['tokens']} scored tokens):")
print(f"  llama.cpp Q4_1 file        {L['ppl']:.4f}   (prompt processing {L['last_window_tokens_per_s']:.0f} tok/s)")
for name, f in [("vsq as stored (Q4_1/Q8_0)", "ppl_vsq_stored.json"),
                ("vsq W8A8 int8:v32:fp16", "ppl_vsq_q8.json"),
                ("vsq W4A8 int4:v16:s6@pt", "ppl_vsq_w4a8.json")]:
    d = json.load(open(os.path.join(o, f)))
    print(f"  {name:26s} {d['ppl']:.4f}   bpw {d['bpw']:.3f}   vs llama.cpp {100 * (d['ppl'] / L['ppl'] - 1):+.2f} %")
PY
