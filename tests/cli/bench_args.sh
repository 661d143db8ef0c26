#!/usr/bin/env bash
# CLI test: vsq bench argument errors (exit 2 and a message naming the
# problem, before any measuring) and a --only run writing the documented
# JSON record keys.
# usage: bench_args.sh PATH-TO-VSQ SHARED-DIR
set -u
vsq=$1
tmp=$(mktemp -d /tmp/vsq_cli_bench_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
one_line=0 # bench names the ISA on stderr before it checks --only

expect 2 "needs a value" "$vsq" bench --only
expect 2 "matches no benchmark case" "$vsq" bench --only no-such-case --json "$tmp/b.json"
[ -e "$tmp/b.json" ] && fail "a failed --only run wrote its JSON file"
expect 2 "not a thread count" "$vsq" bench --threads 0 --json "$tmp/b.json"
expect 2 "required" "$vsq" bench --quick

# one quick quantizer record, with the keys other tools rely on
expect 0 "quantize_w" "$vsq" bench --quick --threads 1 --only quantize_w --json "$tmp/b.json"
for key in kernel fmt m n k threads gops gbps vs_ref vs_openblas peak_gops mem_gbps; do
    grep -q "\"$key\":" "$tmp/b.json" || fail "JSON lacks key $key"
done
[ "$(grep -c '"kernel": "quantize_w"' "$tmp/b.json")" -eq 1 ] || fail "--only kept other cases"

[ "$fails" -eq 0 ] && echo "bench_args: all passed"
exit "$fails"
