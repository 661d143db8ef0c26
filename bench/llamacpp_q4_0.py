#!/usr/bin/env python3
"""A Q4_0 GGUF of SmolLM2-135M-Instruct made by llama.cpp's own quantizer
(bench/llamacpp_q4_0.sh runs it in the bench venv; never a dependency of the
library or its tests).

  llamacpp_q4_0.py f32  IN.gguf OUT_F32.gguf   # gguf-py: every tensor -> F32
  llamacpp_q4_0.py q4_0 IN_F32.gguf OUT.gguf THREADS
  llamacpp_q4_0.py info                        # llama.cpp version / commit

Step 1 rewrites the file with all tensors dequantized to F32 by gguf-py
(llama.cpp's Python library), metadata copied as is except general.file_type
(ALL_F32). Step 2 quantizes that F32 file with llama.cpp's C quantizer
(llama_model_quantize, ftype LLAMA_FTYPE_MOSTLY_Q4_0, llama.cpp's default
per-tensor choices), so llama.cpp never requantizes a quantized tensor
(allow_requantize stays off). The weights are the Q4_1 file's: the original
bf16 checkpoint is not available here.
"""
import ctypes
import json
import os
import sys

import numpy as np


def to_f32(src, dst):
    import gguf
    r = gguf.GGUFReader(src)
    arch = r.fields[gguf.Keys.General.ARCHITECTURE].contents()
    tmp = dst + ".tmp"
    w = gguf.GGUFWriter(tmp, arch)
    for f in r.fields.values():
        if f.name == gguf.Keys.General.ARCHITECTURE or f.name.startswith("GGUF."):
            continue
        vt = f.types[0]
        sub = f.types[-1] if vt == gguf.GGUFValueType.ARRAY else None
        val = f.contents()
        if f.name == gguf.Keys.General.FILE_TYPE:
            val = int(gguf.LlamaFileType.ALL_F32)
        w.add_key_value(f.name, val, vt, sub_type=sub)
    for t in r.tensors:
        # ggml shape ne = (cols, rows); numpy wants (rows, cols)
        x = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        shape = tuple(int(n) for n in reversed(t.shape.tolist()))
        w.add_tensor(t.name, x.reshape(shape), raw_dtype=gguf.GGMLQuantizationType.F32)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, dst)


def to_q4_0(src, dst, threads):
    import llama_cpp
    p = llama_cpp.llama_model_quantize_default_params()
    p.nthread = threads
    p.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0
    p.allow_requantize = False
    tmp = dst + ".tmp"
    rc = llama_cpp.llama_model_quantize(src.encode(), tmp.encode(), ctypes.byref(p))
    if rc != 0:
        sys.exit(f"llama_model_quantize {src} -> {dst}: error {rc}")
    os.replace(tmp, dst)


def info():
    import llama_cpp
    lib = os.path.join(os.path.dirname(llama_cpp.__file__), "lib", "libggml-base.so")
    g = ctypes.CDLL(lib)
    g.ggml_commit.restype = g.ggml_version.restype = ctypes.c_char_p
    print(json.dumps(dict(llama_cpp_python=llama_cpp.__version__,
                          ggml_commit=g.ggml_commit().decode(),
                          ggml_version=g.ggml_version().decode(),
                          system_info=llama_cpp.llama_print_system_info().decode().strip())))


def main():
    a = sys.argv[1:]
    if a[:1] == ["f32"] and len(a) == 3:
        to_f32(a[1], a[2])
    elif a[:1] == ["q4_0"] and len(a) == 4:
        to_q4_0(a[1], a[2], int(a[3]))
    elif a == ["info"]:
        info()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
