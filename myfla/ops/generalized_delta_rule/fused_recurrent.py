"""``fused_recurrent_dplr_delta_rule``: the DPLR delta rule token by token (decoding)."""

from typing import Optional, Tuple

import torch

from myfla.ops.common.dplr import recurrent_dplr_delta_rule

from .inputs import run_dplr


def check_reverse(reverse: bool) -> None:
    if reverse:
        raise NotImplementedError("reverse=True is not supported by myfla")


def fused_recurrent_dplr_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    gk: torch.Tensor,
    scale: Optional[float] = None,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    reverse: bool = False,
    cu_seqlens: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """The DPLR delta rule one token at a time; arguments as ``chunk_dplr_delta_rule``.

    Unlike fla's kernel, this one is differentiable (autograd through the steps).
    """
    check_reverse(reverse)
    return run_dplr(
        recurrent_dplr_delta_rule,
        ("q", "k", "v", "a", "b", "gk"),
        q, k, v, a, b, gk, scale, initial_state, output_final_state, cu_seqlens,
    )  # fmt: skip
