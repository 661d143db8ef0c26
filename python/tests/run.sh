#!/usr/bin/env bash
# run.sh PYTHON [PYTEST ARGS...] - run the vsquant pytest suite for CTest.
# Exit 77 (CTest SKIP_RETURN_CODE) when PYTHON lacks numpy or pytest, or
# lacks torch for the torch tests (-k torch); pytest's exit 5 ("no tests
# collected") and every other non-zero code stay failures. A pytest-level
# skip inside a run is turned into 77 too, so it never reads as a pass.
set -uo pipefail
py=$1
shift
need="numpy pytest"
case " $* " in *test_torch*) need="$need torch";; esac
for m in $need; do
  "$py" -c "import $m" 2>/dev/null || { echo "SKIP: $py has no $m"; exit 77; }
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$py" -m pytest -q -rs -p no:cacheprovider "$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 5 ] && { echo "FAIL: pytest collected no tests"; exit 1; }
[ "$rc" -ne 0 ] && exit "$rc"
if grep -qE "[0-9]+ skipped" "$out"; then echo "SKIP: some tests were skipped"; exit 77; fi
exit 0
