"""What every norm shares: its argument checks, the residual add, the normalisation itself and
``AffineNorm``, the base of the norm modules with their ``weight`` and ``bias``.

Like fla's kernels, everything is computed in float32 (float64 when an input is float64) and the
caller casts the result back to the input dtype.
"""

from __future__ import annotations

import torch
from torch import nn

from myfla._checks import check_divisor, check_tensor, compute_dtype


def check_hidden_size(x: torch.Tensor, hidden_size: int, name: str = "x") -> None:
    if x.shape[-1] != hidden_size:
        raise ValueError(
            f"{name} must have last dimension hidden_size={hidden_size}, got shape {tuple(x.shape)}"
        )


def check_norm_args(
    x: torch.Tensor,
    weight: torch.Tensor | None,
    bias: torch.Tensor | None,
    residual: torch.Tensor | None,
    num_groups: int = 1,
) -> None:
    """Validate the arguments of a (group/RMS/layer) norm over the last dim of ``x [..., D]``."""
    check_tensor("x", x)
    dim = x.shape[-1]
    check_divisor("num_groups", num_groups, dim, f"the last dimension {dim}")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and tuple(param.shape) != (dim,):
            raise ValueError(f"{name} must have shape ({dim},), got {tuple(param.shape)}")
    if residual is not None:
        check_tensor("residual", residual)
        if residual.shape != x.shape:
            raise ValueError(
                f"residual must have the shape of x {tuple(x.shape)}, got {tuple(residual.shape)}"
            )


def add_residual(
    x: torch.Tensor,
    residual: torch.Tensor | None,
    residual_in_fp32: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(h, residual_out)``: ``h = x + residual`` in compute precision, and what prenorm returns.

    ``residual_out`` is ``h`` in ``residual.dtype`` when a residual is given, else ``x`` itself
    (cast to float32 when ``residual_in_fp32``).
    """
    h = x.to(compute_dtype(x, residual))
    if residual is not None:
        h = h + residual.to(h.dtype)
        return h, h.to(residual.dtype)
    return h, (x.to(torch.float32) if residual_in_fp32 else x)


def normalize(
    h: torch.Tensor,
    weight: torch.Tensor | None,
    bias: torch.Tensor | None,
    eps: float,
    is_rms_norm: bool,
    num_groups: int = 1,
) -> torch.Tensor:
    """Layer/RMS norm of ``h [..., D]`` in ``num_groups`` contiguous slices of D, then affine."""
    shape = h.shape
    h = h.reshape(shape[:-1] + (num_groups, shape[-1] // num_groups))
    if not is_rms_norm:
        h = h - h.mean(-1, keepdim=True)
    h = (h * torch.rsqrt(h.square().mean(-1, keepdim=True) + eps)).reshape(shape)
    if weight is not None:
        h = h * weight.to(h.dtype)
    if bias is not None:
        h = h + bias.to(h.dtype)
    return h


class AffineNorm(nn.Module):
    """Base of the norms: optional ``weight`` (ones) and ``bias`` (zeros), ``[hidden_size]``."""

    def __init__(
        self,
        hidden_size: int,
        elementwise_affine: bool,
        bias: bool,
        eps: float,
        device: torch.device | None,
        dtype: torch.dtype | None,
    ) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.elementwise_affine = elementwise_affine
        self.eps = eps
        self.register_parameter("weight", None)
        self.register_parameter("bias", None)
        if elementwise_affine:
            self.weight = nn.Parameter(torch.empty(hidden_size, device=device, dtype=dtype))
            if bias:
                self.bias = nn.Parameter(torch.empty(hidden_size, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            nn.init.ones_(self.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def __repr__(self) -> str:
        s = f"{self.__class__.__name__}({self.hidden_size}"
        if not self.elementwise_affine:
            s += f", elementwise_affine={self.elementwise_affine}"
        return s + f", eps={self.eps})"
