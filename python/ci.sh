#!/usr/bin/env bash
# python/ci.sh [BUILD_DIR] - install the vsquant package with pip into a
# fresh virtual environment (Debian's numpy/pytest visible through
# --system-site-packages; --no-build-isolation so that no network is
# needed) and run its pytest suite against the installed copy, with the
# vsq tool of BUILD_DIR for the agreement tests. pytest's exit code 5 (no
# tests collected) is a failure; skipped tests are listed (-rs).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
/usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install -q --no-build-isolation ./python
cd "$venv"   # import the installed package, not the source folder
set +e
VSQ_CLI=$build/vsq "$venv/bin/python" -m pytest -q -rs -p no:cacheprovider "$OLDPWD/python/tests" \
    | tee "$venv/pytest.log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 5 ] && { echo "python/ci.sh: pytest collected no tests" >&2; exit 1; }
# a skip is reported as such (e.g. the torch tests without torch), never as a pass
skipped=$(grep -oE "[0-9]+ skipped" "$venv/pytest.log" | head -1 || true)
[ -n "$skipped" ] && echo "python/ci.sh: $skipped (not run: see the SKIPPED lines above)"
exit "$rc"
