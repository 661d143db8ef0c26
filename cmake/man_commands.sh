#!/usr/bin/env bash
# man_commands.sh VSQ OUT - a help2man include file with one man-page
# section per subcommand, from `vsq COMMAND --help` (commands are read
# from the "commands:" list of `vsq --help`).
set -euo pipefail
vsq=$1 out=$2
{
  echo "[COMMANDS]"
  "$vsq" --help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on=0}' |
  while read -r cmd; do
    echo ".SS $cmd"
    echo ".nf"
    # roff: a leading dot or quote would be a request; backslashes escaped
    "$vsq" "$cmd" --help | sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"
    echo ".fi"
  done
} > "$out.tmp"
mv "$out.tmp" "$out"
