#!/usr/bin/env bash
# SmolLM2-135M-Instruct as Q4_0 made by llama.cpp's own quantizer, decoded
# side by side by llama.cpp and vsq on the same file, same prompt, same
# threads (issue 12, item 4), and the Q4_1 file as before:
#   1. the Q4_0 file: gguf-py rewrites the Q4_1 file with every tensor
#      dequantized to F32, then llama.cpp's llama_model_quantize makes Q4_0
#      of it (bench/llamacpp_q4_0.py; files in $VSQ_CACHE, never in git);
#   2. greedy decode of N tokens after the prompt, threads 1 and 2, REPS
#      times each (the machine is shared: the best run is kept): llama.cpp
#      with the file's blocks (plain) and with its repacked Q4_0 layout
#      (repack), vsq as stored (Q4_0 x Q8_0 / Q4_1 x Q8_1 block dots) and vsq
#      W4A8 two-level packed (re-quantized from the file's fp32 form);
#      greedy texts compared;
#   3. eval-lm throughput (and perplexity) on the first W windows of
#      WikiText-2 test: vsq as stored and W4A8 (--int), threads 1 and 2, and
#      llama.cpp's perplexity on the same windows (1 thread, plain buffers).
# usage: bench/smollm2_q4_0.sh OUT_DIR [DECODE_TOKENS] [REPS] [WINDOWS]
# VSQ_THREADS (default "1 2") lists the thread counts of the decode runs.
# Greedy texts: vsq generates one token more than llama.cpp for the same
# --steps, so "same" means llama.cpp's text is a prefix of vsq's; vsq's
# reference kernels (VSQ_ISA=ref) are compared too.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: smollm2_q4_0.sh OUT_DIR [DECODE_TOKENS] [REPS] [WINDOWS]}
ntok=${2:-64}
reps=${3:-3}
windows=${4:-2}
vsq=${VSQ:-$root/build/vsq}
cache=${VSQ_CACHE:-$HOME/.cache/vsquant}
q41=${VSQ_GGUF:-$cache/SmolLM2-135M-Instruct.Q4_1.gguf}
f32=$cache/SmolLM2-135M-Instruct.F32-from-Q4_1.gguf
q40=$cache/SmolLM2-135M-Instruct.Q4_0.gguf
text=${VSQ_SHARED:-$root/../shared}/data/wikitext-2/wiki.test.tokens.txt
[ -s "$q41" ] || { echo "no $q41: run scripts/fetch-models.sh" >&2; exit 2; }
[ -x "$vsq" ] || { echo "no $vsq: build first" >&2; exit 2; }
mkdir -p "$out"
venv=$("$root/bench/llamacpp_venv.sh")
py=$venv/bin/python
export OMP_WAIT_POLICY=passive
prompt="The capital of France is" # 5 tokens, no BOS (SmolLM2 adds none)
W4="--w int4:v16:s6 --a int8:v16:s10"
threads_list=${VSQ_THREADS:-1 2}

if [ ! -s "$q40" ]; then
    [ -s "$f32" ] || "$py" "$root/bench/llamacpp_q4_0.py" f32 "$q41" "$f32"
    "$py" "$root/bench/llamacpp_q4_0.py" q4_0 "$f32" "$q40" 2 2>"$out/quantize.log"
fi
"$py" "$root/bench/llamacpp_q4_0.py" info >"$out/llamacpp.json"
{
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "commit: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src programs || echo '+dirty')"
    echo "llama.cpp: $(cat "$out/llamacpp.json")"
    echo "vsq: $("$vsq" --version 2>&1 | head -1)"
    echo "decode tokens: $ntok  reps: $reps  eval windows: $windows"
    echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/run.txt"

# best of $reps of a command that prints one rate per line
best() { sort -g | tail -1 | xargs printf '%.1f'; }
rows=()
for file in "$q40" "$q41"; do
    tag=$(basename "$file" .gguf | sed 's/.*\.//')
    modes="plain"
    [ "$tag" = Q4_0 ] && modes="plain repack"
    for t in $threads_list; do
        export OMP_NUM_THREADS=$t
        for mode in $modes; do
            for r in $(seq "$reps"); do
                "$py" "$root/bench/llamacpp_decode.py" "$file" "$prompt" "$ntok" "$t" "$mode" \
                    >"$out/decode_llamacpp_${tag}_${mode}_t${t}_r$r.json" 2>/dev/null
            done
            eval "lc_$mode=$(for r in $(seq "$reps"); do python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['decode_tokens_per_s'])" "$out/decode_llamacpp_${tag}_${mode}_t${t}_r$r.json"; done | best)"
        done
        for r in $(seq "$reps"); do
            "$vsq" generate --model "$file" --prompt "$prompt" --temp 0 --steps $((ntok + 5)) \
                >"$out/decode_vsq_${tag}_t$t.txt" 2>"$out/decode_vsq_${tag}_t${t}_r$r.err"
            "$vsq" generate --model "$file" --prompt "$prompt" --temp 0 --steps $((ntok + 5)) $W4 \
                >/dev/null 2>"$out/decode_vsq_${tag}_w4a8_t${t}_r$r.err"
        done
        isa_name=$(grep -h -m1 -o 'packed kernels ([a-z0-9]*)' "$out/decode_vsq_${tag}_w4a8_t${t}_r1.err" | sed 's/.*(\(.*\))/\1/')
        stored=$(cat "$out"/decode_vsq_"${tag}"_t"${t}"_r*.err | sed -n 's/^achieved tok\/s: \([0-9.]*\)$/\1/p' | best)
        w4=$(cat "$out"/decode_vsq_"${tag}"_w4a8_t"${t}"_r*.err | sed -n 's/^achieved tok\/s: \([0-9.]*\) (integer.*/\1/p' | best)
        # greedy text: llama.cpp (each mode) vs vsq as stored (its default
        # kernels and the reference ones)
        VSQ_ISA=ref "$vsq" generate --model "$file" --prompt "$prompt" --temp 0 --steps $((ntok + 5)) \
            >"$out/decode_vsq_${tag}_ref_t$t.txt" 2>/dev/null
        same=""
        for mode in $modes; do
            for k in "" _ref; do
                if python3 -c "import json,sys;d=json.load(open(sys.argv[1]));v=open(sys.argv[2]).read();sys.exit(0 if v.startswith(sys.argv[3]+d['text']) else 1)" \
                    "$out/decode_llamacpp_${tag}_${mode}_t${t}_r1.json" "$out/decode_vsq_${tag}${k}_t$t.txt" "$prompt"; then
                    same="$same $mode/vsq${k:-_$isa_name}:same"
                else
                    same="$same $mode/vsq${k:-_$isa_name}:DIFFERENT"
                fi
            done
        done
        row="$tag|$t|${lc_plain}|${lc_repack:--}|$stored|$w4|${same# }"
        rows+=("$row")
        echo "decode $row" | tee -a "$out/run.txt"
        unset lc_repack
    done
done
echo "vsq W4A8 $(grep -h -m1 -o 'packed kernels ([a-z0-9]*)' "$out"/decode_vsq_*_w4a8_t1_r1.err | head -1)" | tee -a "$out/run.txt"
echo "load after decode: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/run.txt"

# eval-lm throughput (token-by-token forward passes over the windows)
# WINDOWS 0: no eval-lm runs
for file in $([ "$windows" -gt 0 ] && echo "$q40 $q41"); do
    tag=$(basename "$file" .gguf | sed 's/.*\.//')
    "$py" "$root/bench/llamacpp_ppl.py" ppl "$file" "$text" --limit-windows "$windows" \
        --threads 1 --buffers plain >"$out/ppl_llamacpp_${tag}.json" 2>/dev/null
    python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print('llama.cpp %s plain threads 1: ppl %.4f (batched prefill %.1f tok/s)' % (sys.argv[2], d['ppl'], d['last_window_tokens_per_s']))" \
        "$out/ppl_llamacpp_${tag}.json" "$tag" | tee -a "$out/run.txt"
    for t in 1 2; do
        for wa in stored w4a8; do
            args=""
            [ $wa = w4a8 ] && args="$W4 --int"
            OMP_NUM_THREADS=$t "$vsq" eval-lm --model "$file" --text "$text" --limit-windows "$windows" \
                $args --json "$out/eval_${tag}_${wa}_t$t.json" >/dev/null 2>&1
            python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print('eval-lm %s %s threads %s: ppl %.4f, %.1f tok/s (%d positions)' % (sys.argv[2], sys.argv[3], sys.argv[4], d['ppl'], d['tokens_per_s'], d['positions']))" \
                "$out/eval_${tag}_${wa}_t$t.json" "$tag" "$wa" "$t" | tee -a "$out/run.txt"
        done
    done
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/run.txt"
{
    echo "| file | threads | llama.cpp plain tok/s | llama.cpp repack tok/s | vsq as stored tok/s | vsq W4A8 two-level tok/s | greedy text vs vsq as stored |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    for row in "${rows[@]}"; do echo "| ${row//|/ | } |"; done
} | tee "$out/decode.md"
