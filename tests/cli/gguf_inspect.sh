#!/usr/bin/env bash
# CLI test: vsq inspect and vsq tokenize on the SmolLM2 GGUF (fetched by
# scripts/fetch-models.sh; exit 77 = skipped when it is absent) and inspect
# on broken files (exit 2, one line).
# usage: gguf_inspect.sh PATH-TO-VSQ SHARED-DIR
set -u
vsq=$1
shared=$2
tmp=$(mktemp -d /tmp/vsq_cli_gguf_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# broken inputs first: they need no download
printf 'GGUF\003\000\000\000' >"$tmp/short.gguf"
expect 2 "truncated" "$vsq" inspect "$tmp/short.gguf"
printf 'GGUF\001\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000' >"$tmp/v1.gguf"
expect 2 "version 1" "$vsq" inspect "$tmp/v1.gguf"
printf '\002\000\000\000\000\000\000\000{}' >"$tmp/empty.safetensors"
"$vsq" inspect "$tmp/empty.safetensors" >"$tmp/out" 2>&1 || fail "empty safetensors rejected"
grep -q "0 tensors" "$tmp/out" || fail "empty safetensors: $(cat "$tmp/out")"
printf '\377\000\000\000\000\000\000\000{}' >"$tmp/bad.safetensors"
expect 2 "header length" "$vsq" inspect "$tmp/bad.safetensors"
expect 2 "cannot open" "$vsq" inspect "$tmp/none.gguf"

gguf=${VSQ_GGUF:-${VSQ_CACHE:-$HOME/.cache/vsquant}/SmolLM2-135M-Instruct.Q4_1.gguf}
if [ ! -s "$gguf" ]; then
    echo "SKIP: $gguf absent (scripts/fetch-models.sh fetches it)"
    [ $fails -eq 0 ] && exit 77 || exit 1
fi
"$vsq" inspect "$gguf" >"$tmp/out" 2>"$tmp/err" || fail "inspect of $gguf failed: $(cat "$tmp/err")"
# the model card's architecture: 30 layers, dim 576, FFN 1536, 9/3 heads, vocab 49152
for kv in "llama.block_count +u32 +30" "llama.embedding_length +u32 +576" \
          "llama.feed_forward_length +u32 +1536" "llama.attention.head_count +u32 +9" \
          "llama.attention.head_count_kv +u32 +3" "tokenizer.ggml.model +string +\"gpt2\""; do
    grep -Eq "^  $kv\$" "$tmp/out" || fail "metadata line '$kv' not found"
done
grep -Eq "^  token_embd.weight +Q8_0 +576 x 49152 " "$tmp/out" || fail "token_embd row wrong"
[ "$(grep -c ' Q4_1 ' "$tmp/out")" -eq 210 ] || fail "expected 210 Q4_1 matrices (30 x 7)"
# the file's BPE gives llama.cpp's ids (llama-cpp-python 0.3.36,
# tokenize(add_bos=False, special=False) of the same bytes)
printf "Hello world! It's 2026, isn't it?  Numbers 12345 and na\303\257ve caf\303\251.\n\nNew line\ttab" >"$tmp/t.txt"
want="19556 905 17 657 506 216 34 32 34 38 28 3247 982 357 47 216 20254 216 33 34 35 36 37 284 15486 46494 37366 30 198 198 5529 1761 197 15999"
got=$("$vsq" tokenize --model "$gguf" --text "$tmp/t.txt" 2>"$tmp/err")
[ "$got" = "$want" ] || fail "BPE ids differ from llama.cpp's: $got $(cat "$tmp/err")"
# a copy cut in the middle of the tensor data: rejected, naming a tensor
head -c 60000000 "$gguf" >"$tmp/cut.gguf"
expect 2 "runs past the end" "$vsq" inspect "$tmp/cut.gguf"

[ $fails -eq 0 ] && echo "gguf_inspect: all checks passed"
exit $((fails > 0))
