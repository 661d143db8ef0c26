#!/usr/bin/env bash
# Regenerate docs/cli.md from the tool's own help: `vsq --help`, then
# `vsq COMMAND --help` for every command in the order `vsq --help` lists.
# usage: scripts/gen-cli-doc.sh [PATH-TO-VSQ]   (default build/vsq)
set -euo pipefail
cd "$(dirname "$0")/.."
vsq=${1:-build/vsq}
out=docs/cli.md
tmp=$(mktemp docs/.cli.md.XXXXXX)
trap 'rm -f "$tmp"' EXIT
{
    echo "# The vsq command line"
    echo
    echo "Generated from the tool's own help by \`scripts/gen-cli-doc.sh\` (\`vsq COMMAND --help\`)."
    echo "Exit status: 0 success, 2 bad input (file, flag, spec: one line on stderr naming it), 1 other failure."
    echo
    echo '```'
    "$vsq" --help
    echo '```'
    "$vsq" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{exit}' |
    while read -r cmd; do
        echo
        echo "## vsq $cmd"
        echo
        echo '```'
        "$vsq" "$cmd" --help
        echo '```'
    done
} >"$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out"
