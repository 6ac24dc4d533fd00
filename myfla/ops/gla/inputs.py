"""The GLA ops' own tensors, checked in fla's layout: ``q, k: [B, T, H, K]``,
``v: [B, T, H, V]``, log decays ``[B, T, H, K]`` per key (``g``, ``gk``) and ``[B, T, H, V]`` per
value (``gv``)."""

from typing import Dict, Optional

import torch

from myfla._checks import check_float_tensor
from myfla.ops.kernel_inputs import check_qkv


def gla_tensors(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, **decays: Optional[torch.Tensor]
) -> Dict[str, Optional[torch.Tensor]]:
    """``{q, k, v, **decays}`` once checked (``None`` decays are not given)."""
    check_qkv(q, k, v)
    batch, seq_len, heads, key_dim = q.shape
    value_dim = v.shape[-1]
    for name, x in decays.items():
        if x is not None:
            dim, layout = (value_dim, "[B, T, H, V]") if name == "gv" else (key_dim, "[B, T, H, K]")
            check_float_tensor(name, x, (batch, seq_len, heads, dim), layout)
    return dict(q=q, k=k, v=v, **decays)
