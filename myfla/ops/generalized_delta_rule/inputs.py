"""The DPLR delta rule's own tensors, checked in fla's layout: ``q, k, a, b, gk: [B, T, H, K]``
(``gk`` log decays), ``v: [B, T, H, V]``."""

from typing import Dict

import torch

from myfla.ops.kernel_inputs import check_qkv


def dplr_tensors(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    gk: torch.Tensor,
) -> Dict[str, torch.Tensor]:
    """``{q, k, v, a, b, gk}`` once checked."""
    check_qkv(q, k, v, a=a, b=b, gk=gk)
    return dict(q=q, k=k, v=v, a=a, b=b, gk=gk)
