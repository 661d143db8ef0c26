#!/usr/bin/env bash
# Installs what vsquant needs to build and test, from Debian packages.
set -euo pipefail
PKGS="build-essential cmake pkg-config clang libclang-rt-dev libomp-dev \
      libcmocka-dev libcjson-dev libjpeg-dev libopenblas-dev libsimde-dev python3 iverilog \
      zlib1g-dev dataset-fashion-mnist"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing$missing" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
"$(dirname "$0")/fetch-models.sh"
echo "setup: dependencies present" >&2
