"""L2 normalisation over the last dimension, fla's formula (``fla.modules.norm.l2norm``).

It lives with the kernels because the gated delta rule applies it to ``q`` and ``k`` inside the
op (``use_qk_l2norm_in_kernel``); ``myfla.modules`` re-exports it beside the ``L2Norm`` module.
"""

from typing import Optional

import torch

from myfla._checks import check_tensor, compute_dtype


def l2norm(
    x: torch.Tensor, eps: float = 1e-6, output_dtype: Optional[torch.dtype] = None
) -> torch.Tensor:
    """``x * rsqrt(sum(x^2) + eps)`` over the last dim; ``x [..., D]`` -> ``[..., D]``.

    fla's formula: ``eps`` is added to the squared norm, so a zero vector stays zero and the
    result differs from ``x / ||x||`` by ``eps / (2 ||x||^2)`` relative. Computed in float32
    (float64 for float64 input), returned in ``output_dtype`` (default ``x.dtype``).
    """
    check_tensor("x", x)
    xf = x.to(compute_dtype(x))
    y = xf * torch.rsqrt(xf.pow(2).sum(-1, keepdim=True) + eps)
    return y.to(x.dtype if output_dtype is None else output_dtype)


def inverse_l2_norm(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """``rsqrt(sum(x^2) + eps)`` over the last dim, ``[..., D]`` -> ``[...]``: the factor of
    :func:`l2norm`, for kernels that fold it into products they form anyway (one read of ``x``,
    no normalised copy)."""
    return torch.rsqrt(torch.linalg.vector_norm(x, dim=-1).square() + eps)


l2_norm = l2norm
