#!/usr/bin/env bash
# check_install.sh BUILD_DIR - install libvsq from BUILD_DIR into a temporary
# prefix, then build tests/install/consumer.c against it twice: with
# `pkg-config --cflags --libs vsq` (nothing else on the link line) and as a
# CMake project with find_package(vsq). Both must print the hand-checked
# codes. Also checks the installed files (headers, libs, SONAME, tool, man
# page, pkg-config and CMake package files). Extra compiler flags for the
# consumer (sanitizer builds) come from $VSQ_CONSUMER_CFLAGS.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cc=${CC:-cc}
flags=${VSQ_CONSUMER_CFLAGS:-}

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
p=$tmp/prefix
libdir=$(dirname "$(find "$p" -name vsq.pc)")/..
libdir=$(cd "$libdir" && pwd)
for f in include/vsq/vsq.h include/vsq/quant.h bin/vsq; do [ -e "$p/$f" ] || fail "$f not installed"; done
[ -e "$libdir/libvsq.a" ] || fail "libvsq.a not installed"
soname=$(readelf -d "$libdir/libvsq.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = "libvsq.so.0" ] || fail "SONAME '$soname'"
[ -e "$libdir/$soname" ] || fail "$soname not installed"
if command -v help2man >/dev/null; then
  [ -e "$p/share/man/man1/vsq.1" ] || fail "man page not installed"
  grep -q '^\.SS fakequant' "$p/share/man/man1/vsq.1" || fail "man page lacks the commands"
fi
"$p/bin/vsq" --version | grep -q "^vsq " || fail "installed vsq --version"

expect="codes 1 -3 1 7"
export PKG_CONFIG_PATH=$libdir/pkgconfig
pc_libs=$(pkg-config --libs vsq)
case "$pc_libs" in *cjson*|*jpeg*|*omp*|*-lm*) fail "private dependencies leak: $pc_libs";; esac
pkg-config --static --libs vsq | grep -q -- -lcjson || fail "--static lacks the private libraries"
pc_flags=$(pkg-config --cflags --libs vsq)
# shellcheck disable=SC2086
$cc $flags -o "$tmp/consumer_pc" "$here/consumer.c" $pc_flags || fail "pkg-config build"
out=$(LD_LIBRARY_PATH=$libdir "$tmp/consumer_pc")
echo "pkg-config consumer: $out"
[ "$(echo "$out" | head -1)" = "$expect" ] || fail "pkg-config consumer printed '$out'"
echo "$out" | grep -q "^error .*element bits" || fail "no library error message"

cmake -S "$here" -B "$tmp/cbuild" -DCMAKE_PREFIX_PATH="$p" -DCMAKE_C_FLAGS="$flags" \
      -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null || fail "find_package(vsq) configure"
cmake --build "$tmp/cbuild" >/dev/null || fail "find_package(vsq) build"
out=$("$tmp/cbuild/consumer")   # the imported target carries the library path (RPATH)
echo "find_package consumer: $out"
[ "$(echo "$out" | head -1)" = "$expect" ] || fail "find_package consumer printed '$out'"
echo "PASS"
