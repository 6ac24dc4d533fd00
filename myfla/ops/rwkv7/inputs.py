"""RWKV7's state-update tensors, checked in fla's layout: ``r, w, k, a, b: [B, T, H, K]``
(``w`` log decays), ``v: [B, T, H, V]``. RWKV7's update is the DPLR delta rule (see
``myfla.ops.kernels.dplr``) with ``q = r`` and ``gk = w``."""

from typing import Dict

import torch

from myfla.ops.kernel_inputs import check_qkv


def rwkv7_tensors(
    r: torch.Tensor,
    w: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
) -> Dict[str, torch.Tensor]:
    """The DPLR kernels' tensors ``{q, k, v, a, b, gk}`` from RWKV7's, once checked."""
    check_qkv(r, k, v, ("r", "k", "v"), a=a, b=b, w=w)
    return dict(q=r, k=k, v=v, a=a, b=b, gk=w)
