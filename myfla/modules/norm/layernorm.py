"""LayerNorm, RMSNorm and GroupNorm with an optional fused residual add (fla.modules.norm).

All forms share one contract, fla's: ``h = x + residual`` (in float32, or float64 for float64
input), ``y = norm(h) * weight + bias`` cast to ``x.dtype``; with ``prenorm=True`` they return
``(y, residual_out)`` where ``residual_out`` is ``h`` in ``residual.dtype`` (or ``x`` itself when no
residual is given, cast to float32 if ``residual_in_fp32``).
"""

from __future__ import annotations

from typing import Tuple, Union

import torch

from myfla._checks import check_divisor

from .base import AffineNorm, add_residual, check_hidden_size, check_norm_args, normalize

NormOutput = Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]


def group_norm(
    x: torch.Tensor,
    weight: torch.Tensor | None,
    bias: torch.Tensor | None,
    residual: torch.Tensor | None = None,
    eps: float = 1e-5,
    prenorm: bool = False,
    residual_in_fp32: bool = False,
    is_rms_norm: bool = False,
    num_groups: int = 1,
) -> NormOutput:
    """Norm of ``x [..., D]`` within ``num_groups`` contiguous slices of D; ``weight, bias [D]``."""
    check_norm_args(x, weight, bias, residual, num_groups)
    h, residual_out = add_residual(x, residual, residual_in_fp32)
    y = normalize(h, weight, bias, eps, is_rms_norm, num_groups).to(x.dtype)
    return (y, residual_out) if prenorm else y


def layer_norm(
    x: torch.Tensor,
    weight: torch.Tensor | None,
    bias: torch.Tensor | None,
    residual: torch.Tensor | None = None,
    eps: float = 1e-5,
    prenorm: bool = False,
    residual_in_fp32: bool = False,
    is_rms_norm: bool = False,
) -> NormOutput:
    """LayerNorm (or RMSNorm with ``is_rms_norm``) of ``x [..., D]`` over the last dim."""
    return group_norm(x, weight, bias, residual, eps, prenorm, residual_in_fp32, is_rms_norm)


def rms_norm(
    x: torch.Tensor,
    weight: torch.Tensor | None,
    bias: torch.Tensor | None,
    residual: torch.Tensor | None = None,
    eps: float = 1e-5,
    prenorm: bool = False,
    residual_in_fp32: bool = False,
) -> NormOutput:
    """RMSNorm of ``x [..., D]``: ``x / sqrt(mean(x^2) + eps) * weight + bias``."""
    return group_norm(x, weight, bias, residual, eps, prenorm, residual_in_fp32, is_rms_norm=True)


class _Norm(AffineNorm):
    """Layer norm, or RMS norm where ``is_rms_norm``, within ``num_groups`` slices of the last dim.

    ``forward(x [..., hidden_size])`` -> same shape and dtype. The class attributes are what
    :class:`LayerNorm` and :class:`RMSNorm` use; :class:`GroupNorm` sets them per instance.
    """

    is_rms_norm = False
    num_groups = 1

    def __init__(
        self,
        hidden_size: int,
        elementwise_affine: bool = True,
        bias: bool = False,
        eps: float = 1e-5,
        device: torch.device | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        """fla's constructor of LayerNorm and RMSNorm; ``weight``, ``bias`` ``[hidden_size]``."""
        super().__init__(hidden_size, elementwise_affine, bias, eps, device, dtype)

    def forward(
        self,
        x: torch.Tensor,
        residual: torch.Tensor | None = None,
        prenorm: bool = False,
        residual_in_fp32: bool = False,
    ) -> NormOutput:
        check_hidden_size(x, self.hidden_size)
        return group_norm(
            x,
            self.weight,
            self.bias,
            residual=residual,
            eps=self.eps,
            prenorm=prenorm,
            residual_in_fp32=residual_in_fp32,
            is_rms_norm=self.is_rms_norm,
            num_groups=self.num_groups,
        )


class LayerNorm(_Norm):
    """LayerNorm over the last dim; ``forward(x [..., hidden_size])`` -> same shape and dtype."""


class RMSNorm(_Norm):
    """RMSNorm over the last dim; ``forward(x [..., hidden_size])`` -> same shape and dtype."""

    is_rms_norm = True


class GroupNorm(_Norm):
    """Layer (or RMS) norm within ``num_groups`` contiguous slices of ``x [..., hidden_size]``."""

    def __init__(
        self,
        num_groups: int,
        hidden_size: int,
        elementwise_affine: bool = True,
        bias: bool = False,
        eps: float = 1e-5,
        is_rms_norm: bool = False,
        device: torch.device | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_divisor("num_groups", num_groups, hidden_size, f"hidden_size={hidden_size}")
        super().__init__(hidden_size, elementwise_affine, bias, eps, device, dtype)
        self.num_groups = num_groups
        self.is_rms_norm = is_rms_norm

    def __repr__(self) -> str:
        s = f"{self.__class__.__name__}({self.num_groups}, {self.hidden_size}"
        if not self.elementwise_affine:
            s += f", elementwise_affine={self.elementwise_affine}"
        if self.is_rms_norm:
            s += f", is_rms_norm={self.is_rms_norm}"
        return s + f", eps={self.eps})"


__all__ = ["GroupNorm", "LayerNorm", "RMSNorm", "group_norm", "layer_norm", "rms_norm"]
