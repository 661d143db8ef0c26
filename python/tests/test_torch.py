"""vsquant.torch: forward equals vsquant.fakequant, gradient is the identity
(STE). Skipped (visibly, and reported as skipped by CTest) without torch."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import vsquant as vq  # noqa: E402
from vsquant.torch import fake_quant  # noqa: E402


def test_forward_and_ste_gradient():
    w = torch.randn(8, 32, dtype=torch.float32, requires_grad=True)
    y = fake_quant(w, "int4:v16:s6")
    np.testing.assert_array_equal(y.detach().numpy(), vq.fakequant(w.detach().numpy(), "int4:v16:s6"))
    g = torch.randn(8, 32)
    y.backward(g)
    assert torch.equal(w.grad, g)


def test_bad_spec_raises():
    with pytest.raises(vq.VsqError, match="int9"):
        fake_quant(torch.zeros(4), "int9:pt")
