#!/usr/bin/env bash
# CLI test: vsq tokenize reproduces the Hugging Face reference ids of the
# first 50 sentence-polarity sentences (from a file and from stdin), and
# rejects a missing vocabulary, bad flags and invalid UTF-8 with exit 2 and
# a one-line message.
# usage: tokenize.sh PATH-TO-VSQ SHARED-DIR
set -u
vsq=$1
shared=$2
data=$shared/data/sentence-polarity
model=$shared/models/all-minilm-l6-v2
tmp=$(mktemp -d /tmp/vsq_cli_tok_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

head -n 50 "$data/sentences.tsv" | cut -f2- >"$tmp/text.txt"
head -n 50 "$data/reference/token_ids.txt" >"$tmp/want.txt"
expect 0 "" "$vsq" tokenize --model "$model" --max-len 128 --text "$tmp/text.txt"
cmp -s "$tmp/out" "$tmp/want.txt" || fail "ids of --text FILE differ from the reference: $(diff "$tmp/out" "$tmp/want.txt" | head -4)"
"$vsq" tokenize --model "$model" --text - <"$tmp/text.txt" >"$tmp/out2" 2>"$tmp/err" ||
    fail "stdin run failed: $(cat "$tmp/err")"
cmp -s "$tmp/out2" "$tmp/want.txt" || fail "ids from stdin differ from the reference"

# truncation keeps [SEP] (102) last
printf 'the rock is destined to be the 21st century\n' >"$tmp/one.txt"
expect 0 "" "$vsq" tokenize --model "$model" --max-len 4 --text "$tmp/one.txt"
[ "$(cat "$tmp/out")" = "101 1996 2600 102" ] || fail "--max-len 4 gave '$(cat "$tmp/out")'"

# NUL bytes in a line are dropped, as the tokenizer's cleaning does
printf 'hel\0lo\n' >"$tmp/nul.txt"
expect 0 "" "$vsq" tokenize --model "$model" --text "$tmp/nul.txt"
[ "$(cat "$tmp/out")" = "101 7592 102" ] || fail "a NUL inside 'hello' gave '$(cat "$tmp/out")'"

# bad input: exit 2, one line naming the problem
mkdir "$tmp/empty_model"
expect 2 "vocab.txt" "$vsq" tokenize --model "$tmp/empty_model" --text "$tmp/one.txt"
expect 2 "max-len" "$vsq" tokenize --model "$model" --max-len 1 --text "$tmp/one.txt"
expect 2 "unknown argument" "$vsq" tokenize --model "$model" --frobnicate
expect 2 "cannot open" "$vsq" tokenize --model "$model" --text "$tmp/no-such-file.txt"
printf 'fine\nbad \xc3(\n' >"$tmp/bad.txt"
expect 2 "line 2: .*byte offset 4" "$vsq" tokenize --model "$model" --text "$tmp/bad.txt"

[ "$fails" -eq 0 ] && echo "tokenize CLI: all checks passed"
exit $((fails > 0))
