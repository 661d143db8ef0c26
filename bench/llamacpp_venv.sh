#!/usr/bin/env bash
# Creates (once) the virtual environment that holds llama.cpp's Python bindings
# for the side-by-side perplexity bench (bench/llamacpp_ppl.sh). It lives under
# a cache directory outside the repository: llama-cpp-python is never a
# dependency of the library or of the tests.
#
# llama-cpp-python compiles llama.cpp from its bundled source (several minutes
# on 2 cores); the CMake options below skip everything the bench does not use.
set -euo pipefail

LLAMACPP_PY_VERSION=0.3.36
GGUF_VERSION=0.19.0
VENV="${VSQ_LLAMACPP_VENV:-$HOME/.cache/vsquant/llamacpp-venv}"

if [ -x "$VENV/bin/python" ] &&
   "$VENV/bin/python" -c "import llama_cpp, gguf, numpy; assert llama_cpp.__version__ == '$LLAMACPP_PY_VERSION'" 2>/dev/null; then
    echo "$VENV"
    exit 0
fi

mkdir -p "$(dirname "$VENV")"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip >&2
"$VENV/bin/pip" install --quiet "numpy<3" "gguf==$GGUF_VERSION" >&2
CMAKE_ARGS="-DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF \
-DLLAMA_BUILD_TOOLS=OFF -DLLAVA_BUILD=OFF -DLLAMA_CURL=OFF -DGGML_OPENMP=OFF" \
CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
    nice -n 10 "$VENV/bin/pip" install --no-cache-dir --verbose \
    "llama-cpp-python==$LLAMACPP_PY_VERSION" >&2
echo "$VENV"
