"""L2 normalisation over the last dimension (fla.modules.l2norm)."""
from __future__ import annotations

import torch
from torch import nn

from myfla.modules._common import check_tensor, compute_dtype


def l2norm(
    x: torch.Tensor, eps: float = 1e-6, output_dtype: torch.dtype | None = None
) -> torch.Tensor:
    """``x * rsqrt(sum(x^2) + eps)`` over the last dim; ``x [..., D]`` -> ``[..., D]``.

    fla's formula: ``eps`` is added to the squared norm, so a zero vector stays zero and the
    result differs from ``x / ||x||`` by ``eps / (2 ||x||^2)`` relative. Computed in float32
    (float64 for float64 input), returned in ``output_dtype`` (default ``x.dtype``).
    """
    check_tensor(x, "x")
    xf = x.to(compute_dtype(x))
    y = xf * torch.rsqrt(xf.pow(2).sum(-1, keepdim=True) + eps)
    return y.to(x.dtype if output_dtype is None else output_dtype)


l2_norm = l2norm


class L2Norm(nn.Module):
    """Module form of :func:`l2norm`."""

    def __init__(self, eps: float = 1e-6, output_dtype: torch.dtype | None = None):
        super().__init__()
        self.eps = eps
        self.output_dtype = output_dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return l2norm(x, eps=self.eps, output_dtype=self.output_dtype)


__all__ = ["L2Norm", "l2_norm", "l2norm"]
