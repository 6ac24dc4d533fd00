"""Activation functions by name (``fla.modules.activations``): ``ACT2FN`` and its members.

Like fla's kernels, each is computed in float32 (float64 for float64 inputs) and returned in the
input's dtype; autograd differentiates them.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from myfla._checks import compute_dtype


def _in_compute_dtype(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    return fn(x.to(compute_dtype(x))).to(x.dtype)


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    return _in_compute_dtype(torch.sigmoid, x)


def logsigmoid(x: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """``log(sigmoid(x)) / temperature``."""
    return _in_compute_dtype(lambda y: F.logsigmoid(y) / temperature, x)


def swish(x: torch.Tensor) -> torch.Tensor:
    """``x * sigmoid(x)`` (SiLU)."""
    return _in_compute_dtype(F.silu, x)


def sqrelu(x: torch.Tensor) -> torch.Tensor:
    """``relu(x) ** 2``."""
    return _in_compute_dtype(lambda y: F.relu(y).square(), x)


def elu_p1(x: torch.Tensor) -> torch.Tensor:
    """``elu(x) + 1``: a positive feature map."""
    return _in_compute_dtype(lambda y: F.elu(y) + 1, x)


def fast_gelu_impl(x: torch.Tensor) -> torch.Tensor:
    """GELU, tanh approximation."""
    return _in_compute_dtype(lambda y: F.gelu(y, approximate="tanh"), x)


def bias_gelu_impl(x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """GELU (tanh approximation) of ``x + bias``, ``bias [D]`` broadcast over ``x [..., D]``."""
    return fast_gelu_impl(x + bias)


def identity(x: torch.Tensor) -> torch.Tensor:
    return x


def swiglu(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``swish(x) * y`` for ``x, y [..., D]``, computed as one product in float32."""
    compute = compute_dtype(x, y)
    return (F.silu(x.to(compute)) * y.to(compute)).to(x.dtype)


def swiglu_linear(
    x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
) -> torch.Tensor:
    """``linear(swiglu(x, y), weight, bias)``: ``[..., D]`` -> ``[..., weight.shape[0]]``."""
    return F.linear(swiglu(x, y), weight, bias)


# fla 0.6.0's names, plus "elu" and "identity" (not in fla: there they raise KeyError).
ACT2FN = {
    "relu": F.relu,
    "sigmoid": sigmoid,
    "logsigmoid": logsigmoid,
    "silu": swish,
    "swish": swish,
    "sqrelu": sqrelu,
    "gelu": fast_gelu_impl,
    "bias_gelu": bias_gelu_impl,
    "elu": F.elu,
    "identity": identity,
}

__all__ = [
    "ACT2FN",
    "bias_gelu_impl",
    "elu_p1",
    "fast_gelu_impl",
    "identity",
    "logsigmoid",
    "sigmoid",
    "sqrelu",
    "swiglu",
    "swiglu_linear",
    "swish",
]
