"""RWKV7's six token-shift mixes (``fla.ops.rwkv7.fused_addcmul``)."""

from typing import Optional, Tuple

import torch


def fused_addcmul_rwkv7(
    hidden_states: torch.Tensor,
    delta: torch.Tensor,
    xr: torch.Tensor,
    xw: torch.Tensor,
    xk: torch.Tensor,
    xv: torch.Tensor,
    xa: torch.Tensor,
    xg: Optional[torch.Tensor] = None,
) -> Tuple[Optional[torch.Tensor], ...]:
    """``hidden_states + delta * x_i`` for each mix; ``[B, T, D]`` and ``x_i: [1, 1, D]``.

    Returns six ``[B, T, D]`` tensors, the last ``None`` when ``xg`` is ``None``.
    """
    mixes = tuple(torch.addcmul(hidden_states, delta, x) for x in (xr, xw, xk, xv, xa))
    return mixes + (None if xg is None else torch.addcmul(hidden_states, delta, xg),)


torch_addcmul_rwkv7 = fused_addcmul_rwkv7
