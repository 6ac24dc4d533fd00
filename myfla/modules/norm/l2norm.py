"""L2 normalisation over the last dimension (fla.modules.norm.l2norm): function and module."""

from __future__ import annotations

import torch
from torch import nn

from myfla.ops.kernels.l2norm import l2_norm, l2norm


class L2Norm(nn.Module):
    """Module form of :func:`l2norm`."""

    def __init__(self, eps: float = 1e-6, output_dtype: torch.dtype | None = None):
        super().__init__()
        self.eps = eps
        self.output_dtype = output_dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return l2norm(x, eps=self.eps, output_dtype=self.output_dtype)


__all__ = ["L2Norm", "l2_norm", "l2norm"]
