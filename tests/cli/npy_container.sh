#!/usr/bin/env bash
# CLI test: vsq quantize / vsq dequantize exit codes, messages and results.
# usage: npy_container.sh PATH-TO-VSQ SHARED-DIR
# Writes .npy inputs with python3's struct module (no numpy needed).
set -u
vsq=$1
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
tmp=$(mktemp -d /tmp/vsq_cli_npy_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect CODE CMD...: run, check the exit code, keep stderr in $tmp/err
expect() {
    local want=$1; shift
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -eq "$want" ] || fail "exit $rc (want $want): $* -- $(cat "$tmp/err")"
}

# mknpy PATH DESCR SHAPE FORTRAN: deterministic values (a few hundred)
mknpy() {
    python3 - "$@" <<'PY'
import math, struct, sys
path, descr, shape, fortran = sys.argv[1], sys.argv[2], eval(sys.argv[3]), sys.argv[4] == "1"
n = 1
for d in shape: n *= d
code = {'<f4': 'f', '<f8': 'd', '|i1': 'b', '<i4': 'i', '>f4': 'f'}[descr]
vals = [math.sin(i * 0.7) * (4.0 if i % 17 == 0 else 1.0) for i in range(n)]
if code in 'bi': vals = [int(v * 30) for v in vals]
if sys.argv[5:] == ['nan']: vals[3] = float('nan')
end = '>' if descr[0] == '>' else '<'
data = struct.pack(end + str(n) + code, *vals)
h = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, repr(tuple(shape)))
h += ' ' * (63 - (10 + len(h)) % 64) + '\n'
open(path, 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode() + data)
PY
}

# npy_payload PATH: prints "shape descr" and writes the data bytes to PATH.bin
npy_info() {
    python3 - "$1" <<'PY'
import ast, struct, sys
b = open(sys.argv[1], 'rb').read()
hl = struct.unpack('<H', b[8:10])[0]
d = ast.literal_eval(b[10:10 + hl].decode())
open(sys.argv[1] + '.bin', 'wb').write(b[10 + hl:])
print(d['shape'], d['descr'])
PY
}

mknpy "$tmp/w.npy" '<f4' '(8, 48)' 0
mknpy "$tmp/t3.npy" '<f4' '(6, 5, 4)' 0
mknpy "$tmp/i8.npy" '|i1' '(4, 32)' 0

# 1. round trip; dequantize(quantize(x)) must equal fakequant(x) bit for bit
for spec in int4:v16:s6 int8:pc uint4:v16:fp16 int4:v32:e8m0 int3:v16:s4r@pt; do
    expect 0 "$vsq" quantize --fmt "$spec" "$tmp/w.npy" "$tmp/w.vsq"
    grep -q "bits/element" "$tmp/out" || fail "quantize $spec printed no bits/element"
    expect 0 "$vsq" dequantize "$tmp/w.vsq" "$tmp/w_dq.npy"
    [ "$(npy_info "$tmp/w_dq.npy")" = "(8, 48) <f4" ] || fail "dequantize $spec: wrong shape/dtype"
    if "$vsq" fakequant --fmt "$spec" "$tmp/w.npy" "$tmp/w_fq.npy" >/dev/null 2>&1; then
        npy_info "$tmp/w_fq.npy" >/dev/null
        cmp -s "$tmp/w_dq.npy.bin" "$tmp/w_fq.npy.bin" || fail "$spec: dequantize != fakequant"
    fi
done

# 2. other axis and dtype: original shape comes back
expect 0 "$vsq" quantize --fmt int4:v4 --axis 0 "$tmp/t3.npy" "$tmp/t3.vsq"
expect 0 "$vsq" dequantize "$tmp/t3.vsq" "$tmp/t3_dq.npy"
[ "$(npy_info "$tmp/t3_dq.npy")" = "(6, 5, 4) <f4" ] || fail "axis 0: shape not restored"
if "$vsq" fakequant --fmt int4:v4 --axis 0 "$tmp/t3.npy" "$tmp/t3_fq.npy" >/dev/null 2>&1; then
    npy_info "$tmp/t3_fq.npy" >/dev/null
    cmp -s "$tmp/t3_dq.npy.bin" "$tmp/t3_fq.npy.bin" || fail "axis 0: dequantize != fakequant"
fi
expect 0 "$vsq" quantize --fmt int8:v16 "$tmp/i8.npy" "$tmp/i8.vsq"
expect 0 "$vsq" dequantize "$tmp/i8.vsq" "$tmp/i8_dq.npy"
npy_info "$tmp/i8_dq.npy" >/dev/null
# int8 inputs |x| <= 120 on an int8 v16 grid: every value within half a step of 160/127
python3 - "$tmp/i8.npy" "$tmp/i8_dq.npy.bin" <<'PY' || fail "int8 round trip error too large"
import struct, sys
b = open(sys.argv[1], 'rb').read(); hl = struct.unpack('<H', b[8:10])[0]
x = struct.unpack('128b', b[10 + hl:]); y = struct.unpack('128f', open(sys.argv[2], 'rb').read())
sys.exit(0 if max(abs(a - c) for a, c in zip(x, y)) <= 0.5 * 120 / 127 + 1e-4 else 1)
PY

# 3. bad input: exit 2 and a message naming the file
head -c 100 "$tmp/w.npy" >"$tmp/cut.npy"
expect 2 "$vsq" quantize --fmt int4:v16 "$tmp/cut.npy" "$tmp/x.vsq"
grep -q "cut.npy" "$tmp/err" && grep -q "truncated" "$tmp/err" || fail "truncated npy message: $(cat "$tmp/err")"
[ -e "$tmp/x.vsq" ] && fail "output written for a bad input"
head -c 150 "$tmp/w.vsq" >"$tmp/cut.vsq"
expect 2 "$vsq" dequantize "$tmp/cut.vsq" "$tmp/x.npy"
grep -q "cut.vsq" "$tmp/err" && grep -q "truncated" "$tmp/err" || fail "truncated vsq message: $(cat "$tmp/err")"
python3 -c "
import sys; b = bytearray(open(sys.argv[1], 'rb').read()); b[-20] ^= 4
open(sys.argv[2], 'wb').write(b)" "$tmp/w.vsq" "$tmp/flip.vsq"
expect 2 "$vsq" dequantize "$tmp/flip.vsq" "$tmp/x.npy"
grep -q "checksum" "$tmp/err" || fail "corrupt vsq message: $(cat "$tmp/err")"
mknpy "$tmp/fort.npy" '<f4' '(4, 4)' 1
expect 2 "$vsq" quantize --fmt int8:pt "$tmp/fort.npy" "$tmp/x.vsq"
grep -q "Fortran" "$tmp/err" || fail "Fortran message: $(cat "$tmp/err")"
mknpy "$tmp/be.npy" '>f4' '(4, 4)' 0
expect 2 "$vsq" quantize --fmt int8:pt "$tmp/be.npy" "$tmp/x.vsq"
grep -q "big-endian" "$tmp/err" || fail "big-endian message: $(cat "$tmp/err")"
mknpy "$tmp/nan.npy" '<f4' '(4, 4)' 0 nan
expect 2 "$vsq" quantize --fmt int8:pt "$tmp/nan.npy" "$tmp/x.vsq"
grep -q "nan.npy" "$tmp/err" || fail "NaN message: $(cat "$tmp/err")"
expect 2 "$vsq" quantize --fmt int9:pt "$tmp/w.npy" "$tmp/x.vsq"
expect 2 "$vsq" quantize --fmt int4:v16 --axis 2 "$tmp/w.npy" "$tmp/x.vsq"
expect 2 "$vsq" quantize --fmt int4:v16 --axis x "$tmp/w.npy" "$tmp/x.vsq"
expect 2 "$vsq" quantize "$tmp/w.npy" "$tmp/x.vsq"
expect 2 "$vsq" quantize --fmt int4:v16 "$tmp/w.npy"
expect 2 "$vsq" quantize --fmt int4:v16 "$tmp/missing.npy" "$tmp/x.vsq"
grep -q "missing.npy" "$tmp/err" || fail "missing file message"
expect 2 "$vsq" dequantize "$tmp/w.npy" "$tmp/x.npy"
grep -q "not a .vsq" "$tmp/err" || fail "wrong-kind message: $(cat "$tmp/err")"
expect 2 "$vsq" dequantize "$tmp/w.vsq"
expect 0 "$vsq" quantize --help
expect 0 "$vsq" dequantize --help

[ "$fails" -eq 0 ] && echo "npy_container: all checks passed"
exit $((fails > 0))
