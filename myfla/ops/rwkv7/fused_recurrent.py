"""RWKV7's state update token by token: ``fused_recurrent_rwkv7``, ``fused_mul_recurrent_rwkv7``."""

from typing import Optional, Tuple

import torch

from myfla.ops.common.dplr import recurrent_dplr_delta_rule
from myfla.ops.generalized_delta_rule.fused_recurrent import check_reverse
from myfla.ops.generalized_delta_rule.inputs import run_dplr
from myfla.ops.utils.inputs import check_tensor

from .chunk import NAMES


def fused_recurrent_rwkv7(
    r: torch.Tensor,
    w: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    scale: Optional[float] = None,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = True,
    cu_seqlens: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """As ``chunk_rwkv7``, one token at a time; ``scale`` defaults to ``K ** -0.5`` here.

    Unlike fla's kernel, this one is differentiable (autograd through the steps).
    """
    return run_dplr(
        recurrent_dplr_delta_rule,
        NAMES,
        r, k, v, a, b, w, scale, initial_state, output_final_state, cu_seqlens,
    )  # fmt: skip


def fused_mul_recurrent_rwkv7(
    r: torch.Tensor,
    w: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    kk: torch.Tensor,
    a: torch.Tensor,
    scale: float = 1.0,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    reverse: bool = False,
    cu_seqlens: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """RWKV7's decoding form: the low-rank pair is ``(-kk, kk * a)``; ``kk, a: [B, T, H, K]``.

    Other arguments as ``fused_recurrent_rwkv7`` (``scale`` defaults to 1 here).
    """
    check_reverse(reverse)
    check_tensor("kk", kk, r.shape, "[B, T, H, K] as r")
    check_tensor("a", a, r.shape, "[B, T, H, K] as r")
    return run_dplr(
        recurrent_dplr_delta_rule,
        NAMES,
        r, k, v, -kk, kk * a, w, scale, initial_state, output_final_state, cu_seqlens,
    )  # fmt: skip
