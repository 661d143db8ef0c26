#!/usr/bin/env bash
# CLI test: vsq bench argument errors (exit 2 and a message naming the
# problem, before any measuring), a --only run writing the documented
# JSON record keys, and the VSQ_ISA override as vsq --version reports it.
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
# the CPU model, the ISA used and the available ones in every record, and
# every loop behind the limits
for key in cpu isa isas peak_int8_what mem_reader read_plain_gbps; do
    grep -q "\"$key\":" "$tmp/b.json" || fail "JSON lacks key $key"
done
grep -q '"isas": \["ref"' "$tmp/b.json" || fail "isas does not start with ref"

# VSQ_ISA: an unknown name warns (naming the choices) and falls back to
# the automatic choice; a known one is what --version reports
expect 0 "" "$vsq" --version
auto=$(sed -n 's/^isa: \([a-z0-9]*\) .*/\1/p' "$tmp/out")
[ -n "$auto" ] || fail "vsq --version names no active isa: $(cat "$tmp/out")"
grep -q "^vsq [0-9]" "$tmp/out" || fail "vsq --version lacks the version"
grep -q "available: ref" "$tmp/out" || fail "vsq --version lacks the available ISAs"
VSQ_ISA=bogus expect 0 "VSQ_ISA=bogus unknown (ref|avx2|avxvnni|avx512); using $auto" "$vsq" --version
grep -q "^isa: $auto " "$tmp/out" || fail "VSQ_ISA=bogus did not fall back to $auto: $(cat "$tmp/out")"
VSQ_ISA=ref expect 0 "" "$vsq" --version
grep -q "^isa: ref " "$tmp/out" || fail "VSQ_ISA=ref not active: $(cat "$tmp/out")"
[ -s "$tmp/err" ] && fail "VSQ_ISA=ref warned: $(cat "$tmp/err")"

[ "$fails" -eq 0 ] && echo "bench_args: all passed"
exit "$fails"
