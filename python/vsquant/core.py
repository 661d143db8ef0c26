"""The vsquant API on numpy arrays. Each function is one libvsq call on the
tensor's matrix view: the vector axis moved last, rows = all other axes in
order, channels = the first non-vector axis (as `vsq` does; see
include/vsq/quant.h and vsq_tensor_to_matrix in include/vsq/tensor.h).

Zero copy: a C-contiguous float32 input whose vector axis is already last
is passed to the library as is; quantized codes and scales are numpy views
of the library's own buffers (freed when the last view goes away).
"""
import ctypes
import os

import numpy as np

from . import _lib
from ._lib import lib, Format, QTensorC, QFileC

_ELEM = {0: "int", 1: "intf", 2: "uint"}
_GRAN = {0: "pt", 1: "pc", 2: "vector"}
_SCALE = {0: "fp32", 1: "fp16", 2: "e8m0", 3: "two-level"}
_CALIB = {0: "max", 1: "percentile", 2: "entropy", 3: "mse", 4: "octav"}


class VsqError(Exception):
    """A libvsq failure: `status` is the vsq_status name, the message is
    libvsq's own (vsq_last_error)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _check(status):
    if status != 0:
        raise VsqError(_lib.vsq_status_name(status).decode(),
                       _lib.vsq_last_error().decode(errors="replace"))


class FormatSpec:
    """A parsed format spec (vsq_format): elem, bits, gran, vec_len, scale,
    scale_bits, calib, and `spec`, the canonical string."""

    def __init__(self, c):
        self._c = c
        buf = ctypes.create_string_buffer(256)
        _lib.vsq_format_str(ctypes.byref(c), buf, len(buf))
        self.spec = buf.value.decode()
        self.elem, self.bits = _ELEM[c.elem], c.bits
        self.gran, self.vec_len = _GRAN[c.gran], c.vec_len
        self.scale, self.scale_bits = _SCALE[c.scale], c.scale_bits
        self.calib = _CALIB[c.calib]

    def __repr__(self):
        return "FormatSpec(%r)" % self.spec

    def __str__(self):
        return self.spec

    def __eq__(self, other):
        return isinstance(other, FormatSpec) and other.spec == self.spec


def parse_format(spec):
    """Parse ELEM:GRAN[:SCALE][:CALIB] (docs/formats.md) -> FormatSpec."""
    if isinstance(spec, FormatSpec):
        return spec
    c = Format()
    _check(_lib.vsq_format_parse(str(spec).encode(), ctypes.byref(c)))
    return FormatSpec(c)


def _fptr(a):
    return a.ctypes.data_as(_lib.c_float_p)


class _Matrix:
    """The matrix view of x along `axis` (a float32 C-contiguous array)."""

    def __init__(self, x, axis):
        x = np.asarray(x)
        if x.ndim == 0:
            raise VsqError("invalid argument", "vsquant: a 0-d array has no vector axis")
        if x.ndim > _lib.MAX_DIMS:
            raise VsqError("invalid argument", "vsquant: more than %d dimensions" % _lib.MAX_DIMS)
        if not -x.ndim <= axis < x.ndim:
            raise VsqError("invalid argument",
                           "vsquant: axis %d out of range for %d dimensions" % (axis, x.ndim))
        if x.size == 0:
            raise VsqError("invalid argument", "vsquant: the array is empty: nothing to quantize")
        self.shape, self.axis = x.shape, axis
        a = axis % x.ndim
        moved = np.moveaxis(x, a, -1)
        # no copy when x is already float32, C order, vector axis last
        self.m = np.ascontiguousarray(moved, dtype=np.float32)
        self.moved_shape = moved.shape
        self.cols = x.shape[a]
        self.rows = x.size // self.cols
        self.channels = 1 if x.ndim < 2 else x.shape[1 if a == 0 else 0]

    def back(self, y):
        """A rows x cols result in the original shape and axis order."""
        return np.moveaxis(y.reshape(self.moved_shape), -1, self.axis % len(self.shape))


class _Owner:
    """Frees the library's buffers of one quantized tensor when the last
    numpy view of them (or the QTensor) goes away."""

    def __init__(self, c, free):
        self.c, self._free = c, free

    def __del__(self):
        self._free(ctypes.byref(self.c))


def _view(owner, ptr, ctype, n, dtype, shape):
    if not ptr or n == 0:
        return None
    arr = (ctype * n).from_address(ctypes.addressof(ptr.contents))
    arr._owner = owner  # the numpy view's base keeps the owner alive
    return np.frombuffer(arr, dtype=dtype).reshape(shape)


class QTensor:
    """A quantized tensor (vsq_qtensor) of a tensor of `shape` quantized along
    `axis`. Arrays (views of libvsq's buffers, matrix view: rows x cols):
      codes  int16 rows x cols
      scales float32 effective scale per group (1 for pt, channels for pc,
             rows x n_vec for per-vector; two-level: sq * gamma)
      sq     uint16 rows x n_vec integer per-vector scales (two-level), or None
      gamma  float32 coarse fp32 scales (two-level), or None
    """

    def __init__(self, qc, owner, shape, axis):
        self._q, self._owner = qc, owner
        self.shape, self.axis = tuple(shape), axis
        self.format = FormatSpec(qc.fmt)
        rows, cols, n_vec = qc.rows, qc.cols, qc.n_vec
        self.codes = _view(owner, qc.codes, ctypes.c_int16, rows * cols, np.int16, (rows, cols))
        sshape = (rows, n_vec) if qc.fmt.gran == 2 else (qc.n_scale,)
        self.scales = _view(owner, qc.scale, ctypes.c_float, qc.n_scale, np.float32, sshape)
        self.sq = _view(owner, qc.sq, ctypes.c_uint16, rows * n_vec, np.uint16, (rows, n_vec))
        self.gamma = _view(owner, qc.gamma, ctypes.c_float, qc.n_gamma, np.float32, (qc.n_gamma,))
        self.bits_per_elem = _lib.vsq_format_bits_per_elem(ctypes.byref(qc.fmt), rows, cols,
                                                           qc.channels)

    def __repr__(self):
        return "QTensor(%s, shape=%s, axis=%d)" % (self.format.spec, self.shape, self.axis)


def quantize(x, spec, axis=-1):
    """Quantize x along `axis` (vsq_quantize, weights-style calibration of
    every scale group) -> QTensor."""
    fmt = parse_format(spec)
    mx = _Matrix(x, axis)
    qc = QTensorC()
    _check(_lib.vsq_quantize(ctypes.byref(fmt._c), _fptr(mx.m), mx.rows, mx.cols,
                             mx.channels, ctypes.byref(qc)))
    owner = _Owner(qc, _lib.vsq_qtensor_free)
    return QTensor(qc, owner, mx.shape, axis)


def dequantize(q):
    """codes * scales in the original shape (float32)."""
    y = np.empty((q._q.rows, q._q.cols), dtype=np.float32)
    _check(_lib.vsq_dequantize(ctypes.byref(q._q), _fptr(y)))
    a = q.axis % len(q.shape)
    moved = list(q.shape[:a]) + list(q.shape[a + 1:]) + [q.shape[a]]
    return np.moveaxis(y.reshape(moved), -1, a)


def fakequant(x, spec, axis=-1):
    """Quantize then dequantize (paper eq. 3) in one call; float32 result of
    x's shape, identical to `vsq fakequant`."""
    fmt = parse_format(spec)
    mx = _Matrix(x, axis)
    y = np.empty((mx.rows, mx.cols), dtype=np.float32)
    _check(_lib.vsq_fakequant(ctypes.byref(fmt._c), _fptr(mx.m), mx.rows, mx.cols,
                              mx.channels, _fptr(y)))
    return mx.back(y)


def calibrate(x, method="max", elem="int8"):
    """The clip value alpha that `method` (max, pP, entropy, mse, octav)
    picks for all of x on the element grid `elem` (as `vsq calib`)."""
    fmt = parse_format("%s:pt:fp32:%s" % (elem, method))
    mx = _Matrix(np.ravel(x), -1)
    alpha = ctypes.c_float()
    _check(_lib.vsq_calib_alpha(ctypes.byref(fmt._c), _fptr(mx.m), mx.m.size,
                                ctypes.byref(alpha)))
    return float(alpha.value)


def sqnr(x, y):
    """SQNR in dB of y as an approximation of x: 10 log10(sum x^2 / sum (x-y)^2)."""
    a = np.ascontiguousarray(x, dtype=np.float32)
    b = np.ascontiguousarray(y, dtype=np.float32)
    if a.shape != b.shape:
        raise VsqError("invalid argument", "vsquant: sqnr of shapes %s and %s" % (a.shape, b.shape))
    out = ctypes.c_double()
    _check(_lib.vsq_sqnr_db(_fptr(a), _fptr(b), a.size, ctypes.byref(out)))
    return out.value


def save(path, q):
    """Write q as a .vsq container (docs/container.md), atomically."""
    f = QFileC()
    f.ndim = len(q.shape)
    for i, d in enumerate(q.shape):
        f.shape[i] = d
    f.axis = q.axis
    f.q = q._q  # a shallow copy: the same buffers, still owned by q
    _check(_lib.vsq_container_save(os.fsencode(path), ctypes.byref(f)))


def load(path):
    """Read a .vsq container -> QTensor (shape and axis from the file)."""
    f = QFileC()
    _check(_lib.vsq_container_load(os.fsencode(path), ctypes.byref(f)))
    owner = _Owner(f, _lib.vsq_qfile_free)
    return QTensor(f.q, owner, tuple(f.shape[i] for i in range(f.ndim)), f.axis)


def library_version():
    """The path of the libvsq in use."""
    return lib._name
