#!/usr/bin/env bash
# check_exports.sh SRC_DIR LIBVSQ_SO - the shared library exports exactly the
# public API: every function declared in include/vsq/*.h (listed by the
# compiler itself: gcc -aux-info on vsq/vsq.h, static inline ones left out)
# is a defined dynamic symbol of libvsq.so, and every exported function
# outside the vsq_ prefix is one of them (the explicit names of
# cmake/libvsq.map). Also: vsq/vsq.h and each public header compile on their
# own with nothing but include/ on the include path.
set -euo pipefail
src=$(cd "$1" && pwd)
so=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for h in "$src"/include/vsq/*.h; do
  echo "#include \"vsq/$(basename "$h")\"" > "$tmp/one.c"
  gcc -std=c11 -Wall -Wextra -Werror -I"$src/include" -fsyntax-only "$tmp/one.c" ||
    fail "vsq/$(basename "$h") does not compile on its own"
done

echo '#include "vsq/vsq.h"' > "$tmp/all.c"
(cd "$src" && gcc -std=c11 -Iinclude -fsyntax-only -aux-info "$tmp/aux" "$tmp/all.c")
# "/* include/vsq/x.h:12:NC */ extern T name (args);" -> name
grep -E '^/\* include/vsq/[^ ]+:[0-9]+:N[CF] \*/' "$tmp/aux" | grep -v ' \*/ static ' |
  sed -E 's@^/\* [^*]* \*/ @@; s@\(.*@@; s@ *$@@; s@.*[ *]([A-Za-z_][A-Za-z0-9_]*)$@\1@' |
  sort -u > "$tmp/declared"
[ "$(wc -l < "$tmp/declared")" -gt 100 ] || fail "only $(wc -l < "$tmp/declared") public functions found"
nm -D --defined-only "$so" | awk '$2 == "T" || $2 == "W" || $2 == "i" {print $3}' |
  sed 's/@.*//' | sort -u > "$tmp/exported"

missing=$(comm -23 "$tmp/declared" "$tmp/exported")
[ -z "$missing" ] || fail "declared in include/vsq/ but not exported by $so: $(echo $missing)"
extra=$(comm -13 "$tmp/declared" "$tmp/exported" | grep -v '^vsq_' || true)
[ -z "$extra" ] || fail "exported but not declared in include/vsq/: $(echo $extra)"
echo "PASS: $(wc -l < "$tmp/declared") public functions, all exported; nothing else outside vsq_*"
