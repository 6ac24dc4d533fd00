"""Norm followed by an output gate (fla.modules.norm.fused_norm_gate).

``y = norm(x + residual) * weight (+ bias)``, then ``y * g * sigmoid(g)`` (``'swish'``/``'silu'``)
or ``y * sigmoid(g)`` (``'sigmoid'``); computed in float32 (float64 for float64 input) and cast to
``x.dtype``. Residual and ``prenorm`` semantics are those of :mod:`myfla.modules.norm.layernorm`.
"""

from __future__ import annotations

import torch

from myfla._checks import check_choice, check_tensor

from .base import AffineNorm, add_residual, check_hidden_size, check_norm_args, normalize
from .layernorm import NormOutput

GATE_ACTIVATIONS = ("swish", "silu", "sigmoid")


def _norm_gated(
    x: torch.Tensor,
    g: torch.Tensor,
    weight: torch.Tensor | None,
    bias: torch.Tensor | None,
    activation: str,
    residual: torch.Tensor | None,
    prenorm: bool,
    residual_in_fp32: bool,
    eps: float,
    is_rms_norm: bool,
) -> NormOutput:
    check_norm_args(x, weight, bias, residual)
    check_tensor("g", g)
    if g.shape != x.shape:
        raise ValueError(f"g must have the shape of x {tuple(x.shape)}, got {tuple(g.shape)}")
    check_choice("activation", activation, GATE_ACTIVATIONS)
    h, residual_out = add_residual(x, residual, residual_in_fp32)
    y = normalize(h, weight, bias, eps, is_rms_norm)
    gate = g.to(y.dtype)
    y = y * torch.sigmoid(gate) if activation == "sigmoid" else y * gate * torch.sigmoid(gate)
    y = y.to(x.dtype)
    return (y, residual_out) if prenorm else y


def layer_norm_gated(
    x: torch.Tensor,
    g: torch.Tensor,
    weight: torch.Tensor | None,
    bias: torch.Tensor | None,
    activation: str = "swish",
    residual: torch.Tensor | None = None,
    prenorm: bool = False,
    residual_in_fp32: bool = False,
    eps: float = 1e-6,
) -> NormOutput:
    """Gated LayerNorm of ``x [..., D]`` with gate ``g [..., D]``; ``weight, bias [D]`` or None."""
    return _norm_gated(
        x, g, weight, bias, activation, residual, prenorm, residual_in_fp32, eps, is_rms_norm=False
    )


def rms_norm_gated(
    x: torch.Tensor,
    g: torch.Tensor,
    weight: torch.Tensor | None,
    bias: torch.Tensor | None,
    activation: str = "swish",
    residual: torch.Tensor | None = None,
    prenorm: bool = False,
    residual_in_fp32: bool = False,
    eps: float = 1e-6,
) -> NormOutput:
    """Gated RMSNorm of ``x [..., D]`` with gate ``g [..., D]``; ``weight, bias [D]`` or None."""
    return _norm_gated(
        x, g, weight, bias, activation, residual, prenorm, residual_in_fp32, eps, is_rms_norm=True
    )


class _GatedNorm(AffineNorm):
    """:class:`AffineNorm` plus the gate ``activation``; RMS, not layer, norm if ``is_rms_norm``.

    ``forward(x, g)``, ``x, g [..., hidden_size]`` -> gated norm of ``x``, like ``x``.
    """

    is_rms_norm = False

    def __init__(
        self, hidden_size, elementwise_affine, bias, activation, eps, device, dtype
    ) -> None:
        check_choice("activation", activation, GATE_ACTIVATIONS)
        super().__init__(hidden_size, elementwise_affine, bias, eps, device, dtype)
        self.activation = activation

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", activation={self.activation})"

    def forward(
        self,
        x: torch.Tensor,
        g: torch.Tensor,
        residual: torch.Tensor | None = None,
        prenorm: bool = False,
        residual_in_fp32: bool = False,
    ) -> NormOutput:
        check_hidden_size(x, self.hidden_size)
        return _norm_gated(
            x,
            g,
            self.weight,
            self.bias,
            activation=self.activation,
            residual=residual,
            prenorm=prenorm,
            residual_in_fp32=residual_in_fp32,
            eps=self.eps,
            is_rms_norm=self.is_rms_norm,
        )


class FusedLayerNormGated(_GatedNorm):
    """``forward(x, g)``, ``x, g [..., hidden_size]`` -> gated LayerNorm, like ``x``."""

    def __init__(
        self,
        hidden_size: int,
        elementwise_affine: bool = True,
        bias: bool = False,
        activation: str = "swish",
        eps: float = 1e-5,
        device: torch.device | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(hidden_size, elementwise_affine, bias, activation, eps, device, dtype)


class FusedRMSNormGated(_GatedNorm):
    """``forward(x, g)``, ``x, g [..., hidden_size]`` -> gated RMSNorm, like ``x``.

    Has no bias, like fla's: its only parameter is ``weight [hidden_size]``.
    """

    is_rms_norm = True

    def __init__(
        self,
        hidden_size: int,
        elementwise_affine: bool = True,
        eps: float = 1e-5,
        activation: str = "swish",
        device: torch.device | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(hidden_size, elementwise_affine, False, activation, eps, device, dtype)


class FusedLayerNormSwishGate(FusedLayerNormGated):
    """:class:`FusedLayerNormGated` with the swish gate."""

    def __init__(
        self,
        hidden_size: int,
        elementwise_affine: bool = True,
        bias: bool = False,
        eps: float = 1e-5,
        device: torch.device | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(hidden_size, elementwise_affine, bias, "swish", eps, device, dtype)


class FusedRMSNormSwishGate(FusedRMSNormGated):
    """:class:`FusedRMSNormGated` with the swish gate."""

    def __init__(
        self,
        hidden_size: int,
        elementwise_affine: bool = True,
        eps: float = 1e-5,
        device: torch.device | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(hidden_size, elementwise_affine, eps, "swish", device, dtype)


__all__ = [
    "FusedLayerNormGated",
    "FusedLayerNormSwishGate",
    "FusedRMSNormGated",
    "FusedRMSNormSwishGate",
    "layer_norm_gated",
    "rms_norm_gated",
]
