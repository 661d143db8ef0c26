"""ctypes binding of libvsq: library lookup, the public structs, prototypes.

Lookup order: $VSQ_LIBRARY (a path), the copy bundled in this package by
`pip install` (vsquant/libvsq.so.0), then the system (ld.so: an installed
libvsq from `cmake --install`).
"""
import ctypes
import ctypes.util
import os

SONAME = "libvsq.so.0"
MAX_DIMS = 8


def _load():
    tried = []
    env = os.environ.get("VSQ_LIBRARY")
    candidates = [env] if env else []
    candidates.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), SONAME))
    candidates.append(SONAME)
    found = ctypes.util.find_library("vsq")
    if found:
        candidates.append(found)
    for c in candidates:
        try:
            return ctypes.CDLL(c)
        except OSError as e:
            tried.append("%s (%s)" % (c, e))
    raise ImportError("vsquant: cannot load libvsq; tried: " + "; ".join(tried))


lib = _load()

c_size = ctypes.c_size_t
c_float_p = ctypes.POINTER(ctypes.c_float)


class Format(ctypes.Structure):
    """vsq_format (include/vsq/format.h); enums are C ints."""
    _fields_ = [("elem", ctypes.c_int), ("bits", ctypes.c_int), ("gran", ctypes.c_int),
                ("vec_len", ctypes.c_int), ("scale", ctypes.c_int), ("scale_bits", ctypes.c_int),
                ("variant", ctypes.c_int), ("coarse_per_tensor", ctypes.c_int),
                ("calib", ctypes.c_int), ("percentile", ctypes.c_double)]


class QTensorC(ctypes.Structure):
    """vsq_qtensor (include/vsq/quant.h)."""
    _fields_ = [("fmt", Format), ("rows", c_size), ("cols", c_size), ("channels", c_size),
                ("vec_len", c_size), ("n_vec", c_size),
                ("codes", ctypes.POINTER(ctypes.c_int16)), ("scale", c_float_p),
                ("n_scale", c_size), ("sq", ctypes.POINTER(ctypes.c_uint16)),
                ("gamma", c_float_p), ("n_gamma", c_size)]


class QFileC(ctypes.Structure):
    """vsq_qfile (include/vsq/container.h)."""
    _fields_ = [("ndim", ctypes.c_int), ("shape", c_size * MAX_DIMS), ("axis", ctypes.c_int),
                ("q", QTensorC)]


def _proto(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_st = ctypes.c_int
P = ctypes.POINTER
vsq_last_error = _proto("vsq_last_error", ctypes.c_char_p)
vsq_status_name = _proto("vsq_status_name", ctypes.c_char_p, ctypes.c_int)
vsq_format_parse = _proto("vsq_format_parse", _st, ctypes.c_char_p, P(Format))
vsq_format_str = _proto("vsq_format_str", ctypes.c_int, P(Format), ctypes.c_char_p, c_size)
vsq_format_bits_per_elem = _proto("vsq_format_bits_per_elem", ctypes.c_double, P(Format),
                                  c_size, c_size, c_size)
vsq_quantize = _proto("vsq_quantize", _st, P(Format), c_float_p, c_size, c_size, c_size,
                      P(QTensorC))
vsq_dequantize = _proto("vsq_dequantize", _st, P(QTensorC), c_float_p)
vsq_fakequant = _proto("vsq_fakequant", _st, P(Format), c_float_p, c_size, c_size, c_size,
                       c_float_p)
vsq_qtensor_free = _proto("vsq_qtensor_free", None, P(QTensorC))
vsq_calib_alpha = _proto("vsq_calib_alpha", _st, P(Format), c_float_p, c_size, c_float_p)
vsq_sqnr_db = _proto("vsq_sqnr_db", _st, c_float_p, c_float_p, c_size, P(ctypes.c_double))
vsq_container_save = _proto("vsq_container_save", _st, ctypes.c_char_p, P(QFileC))
vsq_container_load = _proto("vsq_container_load", _st, ctypes.c_char_p, P(QFileC))
vsq_qfile_free = _proto("vsq_qfile_free", None, P(QFileC))
