"""Where llama.cpp keeps the weights (bench helper for llamacpp_decode.py).

  default  llama.cpp's own choice: its CPU "extra" buffer types first (AMX
           when the build has it, then CPU_REPACK), plain CPU otherwise;
  plain    no extra buffer types: every matrix stays in the file's blocks and
           runs on ggml's block dot products (the like-for-like comparison
           with vsq's as-stored path);
  repack   no AMX; the layer matrices forced into CPU_REPACK (ggml repacks
           Q4_0 into interleaved 8-row blocks, its fastest x86 GEMV path).

Why not always `default`: a llama-cpp-python build compiled with
GGML_NATIVE on a CPU that reports AMX runs AMX tile code, and on the
project's Xeon VM `ldtilecfg` faults (general protection fault in
ggml_backend_amx_mul_mat), so `default` crashes there.
"""
import ctypes
import os

import llama_cpp
import llama_cpp.llama_cpp as lc

MATRICES = rb"blk\.[0-9]+\.(attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down)\.weight"


class _Override(ctypes.Structure):  # struct llama_model_tensor_buft_override
    _fields_ = [("pattern", ctypes.c_char_p), ("buft", ctypes.c_void_p)]


def _extra_bufts():
    """{name: ggml_backend_buffer_type_t} of the CPU device's extra types."""
    d = os.path.join(os.path.dirname(llama_cpp.__file__), "lib")
    g = ctypes.CDLL(os.path.join(d, "libggml.so"))
    gb = ctypes.CDLL(os.path.join(d, "libggml-base.so"))
    vp = ctypes.c_void_p
    g.ggml_backend_dev_by_type.restype, g.ggml_backend_dev_by_type.argtypes = vp, [ctypes.c_int]
    gb.ggml_backend_dev_backend_reg.restype, gb.ggml_backend_dev_backend_reg.argtypes = vp, [vp]
    gb.ggml_backend_reg_get_proc_address.restype = vp
    gb.ggml_backend_reg_get_proc_address.argtypes = [vp, ctypes.c_char_p]
    gb.ggml_backend_buft_name.restype, gb.ggml_backend_buft_name.argtypes = ctypes.c_char_p, [vp]
    dev = g.ggml_backend_dev_by_type(0)  # GGML_BACKEND_DEVICE_TYPE_CPU
    reg = gb.ggml_backend_dev_backend_reg(dev)
    fp = gb.ggml_backend_reg_get_proc_address(reg, b"ggml_backend_dev_get_extra_bufts")
    if not fp:
        return {}
    arr = ctypes.CFUNCTYPE(ctypes.POINTER(vp), vp)(fp)(dev)
    out, i = {}, 0
    while arr[i]:
        out[gb.ggml_backend_buft_name(arr[i]).decode()] = arr[i]
        i += 1
    return out


_keep = []  # the override array must outlive the model load


def use(mode):
    """Make every llama_cpp.Llama created afterwards load its weights `mode`."""
    if mode == "default":
        return
    if mode not in ("plain", "repack"):
        raise SystemExit(f"buffer mode {mode!r}: expected default, plain or repack")
    ov = None
    if mode == "repack":
        bufts = _extra_bufts()
        if "CPU_REPACK" not in bufts:
            raise SystemExit(f"this llama.cpp build has no CPU_REPACK buffer type ({list(bufts)})")
        ov = (_Override * 2)()
        ov[0].pattern, ov[0].buft = MATRICES, bufts["CPU_REPACK"]
        _keep.append(ov)
    orig = lc.llama_model_default_params

    def params():
        p = orig()
        p.use_extra_bufts = False
        if ov is not None:
            p.tensor_buft_overrides = ctypes.cast(ov, ctypes.c_void_p)
        return p

    lc.llama_model_default_params = params
