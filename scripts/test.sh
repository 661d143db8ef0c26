#!/usr/bin/env bash
# Build and run the default test suite (everything but the long "full"
# evaluations). With --sanitize: a separate AddressSanitizer + UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--sanitize" ]; then
  BUILD_TYPE=RelWithDebInfo scripts/build.sh build-asan -DVSQ_SANITIZE=ON
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  ctest --test-dir build-asan -LE "full|slowasan" --output-on-failure -j2
else
  scripts/build.sh build
  ctest --test-dir build -LE full --output-on-failure -j2
fi
