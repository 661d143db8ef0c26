#!/usr/bin/env bash
# Installs what vsquant needs to build and test, from Debian packages.
set -euo pipefail
PKGS="build-essential cmake pkg-config clang libclang-rt-dev libomp-dev \
      libcmocka-dev libcjson-dev libjpeg-dev libopenblas-dev libsimde-dev libutf8proc-dev python3 iverilog \
      help2man python3-numpy python3-pytest python3-pip python3-venv python3-setuptools \
      libprotobuf-c-dev protobuf-c-compiler libonnx-dev \
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
