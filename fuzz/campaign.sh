#!/usr/bin/env bash
# fuzz/campaign.sh CPU_SECONDS - the long fuzzing campaign of issue 15:
# each target runs (one at a time) until its process has used CPU_SECONDS
# of CPU time (utime + stime from /proc, so a loaded machine stretches the
# wall time instead of shortening the fuzzing), then gets SIGINT and prints
# libFuzzer's final stats. Corpora persist in $VSQ_FUZZ_WORK/corpus_TARGET
# (a second campaign resumes from them). Writes a summary TSV:
#   target  cpu_s  wall_s  execs  cov  ft  corpus_units  corpus_bytes  findings
set -uo pipefail
cpu_limit=${1:-600}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${VSQ_FUZZ_BUILD:-$root/build-fuzz}
work=${VSQ_FUZZ_WORK:-$build/campaign}
targets=${VSQ_FUZZ_ONLY:-"npy spec container gguf safetensors hfconfig wordpiece onnx tfjs llm tokenizer"}
summary=${VSQ_FUZZ_SUMMARY:-$work/summary.tsv}

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DVSQ_FUZZ=ON -DVSQ_TESTS=OFF >/dev/null || exit 2
cmake --build "$build" -j2 --target fuzz_seeds $(printf "fuzz_%s " $targets) >/dev/null || exit 2
mkdir -p "$work"
[ -d "$work/seeds" ] || ASAN_OPTIONS=detect_leaks=1 "$build/fuzz/fuzz_seeds" "$work/seeds"
printf "target\tcpu_s\twall_s\texecs\tcov\tft\tcorpus_units\tcorpus_bytes\tfindings\n" >"$summary"

cpu_seconds() {  # utime + stime of pid $1, in seconds
    awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) / hz)}' "/proc/$1/stat" 2>/dev/null || echo -1
}

for t in $targets; do
    maxlen=4096
    [ "$t" = onnx ] && maxlen=16384
    mkdir -p "$work/corpus_$t" "$work/artifacts_$t"
    regress=""
    [ -d "$root/fuzz/regressions/$t" ] && regress="$root/fuzz/regressions/$t"
    start=$(date +%s)
    "$build/fuzz/fuzz_$t" -max_total_time=$((cpu_limit * 4)) -max_len=$maxlen -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$work/artifacts_$t/" -print_final_stats=1 \
        "$work/corpus_$t" "$work/seeds/$t" $regress >"$work/log_$t.txt" 2>&1 &
    pid=$!
    used=0
    while kill -0 $pid 2>/dev/null; do
        used=$(cpu_seconds $pid)
        [ "$used" -ge "$cpu_limit" ] && { kill -INT $pid; break; }
        sleep 2
    done
    wait $pid
    wall=$(( $(date +%s) - start ))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log_$t.txt" | grep -o '[0-9]*$' | tail -1)
    last=$(grep -E '^#[0-9]+' "$work/log_$t.txt" | tail -1)
    cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*')
    ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*')
    units=$(ls "$work/corpus_$t" | wc -l)
    bytes=$(du -sb "$work/corpus_$t" | cut -f1)
    findings=$(ls "$work/artifacts_$t" | wc -l)
    printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$t" "$used" "$wall" "${execs:-?}" "${cov:-?}" \
        "${ft:-?}" "$units" "$bytes" "$findings" | tee -a "$summary"
done
