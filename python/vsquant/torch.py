"""PyTorch helper: fake quantization with the straight-through estimator.

    from vsquant.torch import fake_quant
    y = fake_quant(w, "int4:v16:s6")      # forward: vsquant.fakequant
    y.sum().backward()                     # backward: d y / d w = 1 (STE)

The forward pass runs libvsq on a CPU float32 copy of the tensor (bit-
identical to `vsq fakequant`) and returns a tensor of the input's dtype and
device; the backward pass passes the gradient through unchanged
(straight-through estimator, Bengio et al. 2013), as quantization-aware
training does for the rounding step. Requires torch (optional dependency).
"""
import numpy as np
import torch

from . import core


class _FakeQuantSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, spec, axis):
        a = x.detach().to(device="cpu", dtype=torch.float32).contiguous().numpy()
        y = core.fakequant(a, spec, axis)
        return torch.from_numpy(np.ascontiguousarray(y)).to(device=x.device, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad, None, None


def fake_quant(x, spec, axis=-1):
    """Fake-quantize a torch.Tensor in format `spec` along `axis`, with the
    straight-through gradient."""
    core.parse_format(spec)  # fail early, with libvsq's message
    return _FakeQuantSTE.apply(x, spec, axis)
