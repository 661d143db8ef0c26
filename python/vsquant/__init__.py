"""vsquant: per-vector scaled quantization (VS-Quant, Dai et al., MLSys 2021)
from Python, on numpy arrays, through libvsq (ctypes).

    import numpy as np, vsquant as vq
    w = np.random.default_rng(0).standard_normal((64, 256), dtype=np.float32)
    q = vq.quantize(w, "int4:v16:s6")          # codes, scales, sq, gamma
    w4 = vq.dequantize(q)                       # == vq.fakequant(w, "int4:v16:s6")
    print(vq.sqnr(w, w4), q.bits_per_elem)

Results are bit-identical to the `vsq` command-line tool (same library).
"""
from .core import (VsqError, FormatSpec, QTensor, parse_format, quantize, dequantize,
                   fakequant, calibrate, sqnr, save, load, library_version)

__all__ = ["VsqError", "FormatSpec", "QTensor", "parse_format", "quantize", "dequantize",
           "fakequant", "calibrate", "sqnr", "save", "load", "library_version"]
__version__ = "0.1.0"
