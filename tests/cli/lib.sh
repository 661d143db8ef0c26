# tests/cli/lib.sh - shared helpers of the CLI test scripts (sourced after
# $tmp is set). A script ends with: exit $((fails > 0))
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect CODE PATTERN CMD...: the exit code, a stderr pattern (empty: any),
# and for a failure exactly one line on stderr (the one-line error rule;
# a script whose command reports progress on stderr sets one_line=0)
expect() {
    local want=$1 pat=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -eq "$want" ] || fail "exit $rc (want $want): $*"
    [ -z "$pat" ] || grep -q -- "$pat" "$tmp/err" || fail "stderr of '$*' lacks '$pat': $(cat "$tmp/err")"
    [ "$want" -eq 0 ] || [ "${one_line:-1}" -eq 0 ] || [ "$(wc -l <"$tmp/err")" -eq 1 ] ||
        fail "stderr of '$*' is not one line: $(cat "$tmp/err")"
}
