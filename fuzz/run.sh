#!/usr/bin/env bash
# fuzz/run.sh SECONDS - build the libFuzzer targets with clang (build-fuzz/)
# and run each one for SECONDS seconds from a generated seed corpus.
# Exits non-zero on any finding (crash, sanitizer report, leak, timeout);
# the reproducer is left in build-fuzz/fuzz-work/artifacts_TARGET/.
set -euo pipefail
secs=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
jobs=${VSQ_FUZZ_JOBS:-2}

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DVSQ_FUZZ=ON -DVSQ_TESTS=OFF >/dev/null
cmake --build "$build" -j"$jobs" --target fuzz_npy fuzz_spec fuzz_container fuzz_gguf \
      fuzz_safetensors fuzz_hfconfig fuzz_wordpiece fuzz_seeds >/dev/null

work=$build/fuzz-work
rm -rf "$work"
mkdir -p "$work"
ASAN_OPTIONS=detect_leaks=1 "$build/fuzz/fuzz_seeds" "$work/seeds"

status=0
for t in npy spec container gguf safetensors hfconfig wordpiece; do
    mkdir -p "$work/corpus_$t" "$work/artifacts_$t"
    regress=""   # past findings, kept as inputs that must stay harmless
    [ -d "$root/fuzz/regressions/$t" ] && regress="$root/fuzz/regressions/$t"
    echo "fuzz_$t: ${secs}s"
    if ! "$build/fuzz/fuzz_$t" -max_total_time="$secs" -max_len=4096 -timeout=10 \
            -rss_limit_mb=2048 -artifact_prefix="$work/artifacts_$t/" -print_final_stats=1 \
            "$work/corpus_$t" "$work/seeds/$t" $regress >"$work/log_$t.txt" 2>&1; then
        echo "fuzz_$t: FINDING (log: $work/log_$t.txt)"
        grep -E "ERROR|SUMMARY|Test unit written" "$work/log_$t.txt" | head -5 || true
        status=1
    else
        grep -E "stat::number_of_executed_units|cov:" "$work/log_$t.txt" | tail -2 || true
    fi
done
exit $status
