"""RWKV7's key update (``fla.ops.rwkv7.fused_k_update``)."""

from typing import Optional

import torch


def fused_k_rwkv7(
    k: torch.Tensor,
    a: torch.Tensor,
    ka: torch.Tensor,
    cu_seqlens: Optional[torch.Tensor] = None,
    cu_seqlens_cpu: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """``k * (1 + (a - 1) * ka)``, as ``k + k * (a - 1) * ka``; ``k, a: [B, T, D]``, ``ka: [D]``.

    ``cu_seqlens`` and ``cu_seqlens_cpu`` are accepted for fla compatibility (the update is
    per token).
    """
    return k.addcmul(k * (a - 1), ka)


k_update_ref = fused_k_rwkv7
