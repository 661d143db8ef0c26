#!/usr/bin/env bash
# Issue 12 measurements of the kernel table branch, side by side in one
# process each: the peak loops before/after (bench/isa_peaks.c, the "old"
# loops taken from commit 0170505) and the int8 GEMV per ISA
# (bench/isa_gemv.c). Needs an x86 CPU with AVX-512 VNNI and AVX-VNNI.
# usage: bench/isa_compare.sh [BUILD-DIR]   (default build; built Release)
set -euo pipefail
cd "$(dirname "$0")/.."
b=${1:-build}
t=$(mktemp -d /tmp/vsq_isa_cmp_XXXXXX)
trap 'rm -rf "$t"' EXIT
f512="-O3 -mavx2 -mfma -mf16c -mbmi2 -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni"
git show 0170505:src/kernels/x86/peak_avx512.c | sed 's/vsqk_peak_vnni_avx512/old_vnni512/; /kernels_internal.h/d' >"$t/old512.c"
git show 0170505:src/kernels/x86/peak_avx2.c | sed 's/vsqk_peak_/old_/g; s/vsqk_read_avx2/old_read_avx2/; /kernels_internal.h/d' >"$t/old2.c"
gcc $f512 -c "$t/old512.c" -o "$t/old512.o"
gcc -O3 -mavx2 -mfma -mf16c -mbmi2 -c "$t/old2.c" -o "$t/old2.o"
o=$b/CMakeFiles/vsq_obj.dir/src/kernels/x86
gcc -O2 bench/isa_peaks.c "$t/old512.o" "$t/old2.o" "$o/peak_avx512.c.o" "$o/peak_avxvnni.c.o" \
    "$o/peak_avx2.c.o" -o "$t/peaks"
gcc -O2 -fopenmp -Iinclude bench/isa_gemv.c "$b/libvsq.a" -lm -o "$t/gemv"
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), commit $(git describe --always --dirty)"
"$t/peaks"
OMP_NUM_THREADS=1 "$t/gemv"
