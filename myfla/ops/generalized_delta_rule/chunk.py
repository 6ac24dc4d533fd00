"""``chunk_dplr_delta_rule``: the DPLR delta rule computed chunk by chunk (training, prefill)."""

import functools
from typing import Optional, Tuple

import torch

from myfla.ops.common.dplr import chunk_dplr_delta_rule as _chunk_kernel
from myfla.ops.utils.inputs import chunk_size_option, pop_options

from .inputs import run_dplr


def chunk_dplr_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    gk: torch.Tensor,
    scale: Optional[float] = None,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    cu_seqlens: Optional[torch.Tensor] = None,
    cu_seqlens_cpu: Optional[torch.Tensor] = None,
    safe_gate: bool = False,
    chunk_size: Optional[int] = None,
    disable_recompute: bool = False,
    cp_context: object = None,
    lower_bound: Optional[float] = None,
    **kwargs,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """The DPLR delta rule (see ``myfla.ops.common.dplr``) over chunks of tokens.

    Args:
        q, k, a, b: ``[B, T, H, K]``; gk: ``[B, T, H, K]`` log decays; v: ``[B, T, H, V]``.
        scale: default ``K ** -0.5``.
        initial_state: ``[N, H, K, V]``, ``N`` the batch size or the number of sequences.
        chunk_size: 16, 32 or 64 (default).
    Returns:
        ``o: [B, T, H, V]`` and the final state ``[N, H, K, V]`` (or ``None``).
    ``cu_seqlens_cpu``, ``safe_gate``, ``disable_recompute`` and ``lower_bound`` are Triton tuning
    options of fla: accepted, and not needed here.
    """
    pop_options(kwargs, False, ())
    size = chunk_size_option(chunk_size, cp_context)
    return run_dplr(
        functools.partial(_chunk_kernel, chunk_size=size),
        ("q", "k", "v", "a", "b", "gk"),
        q, k, v, a, b, gk, scale, initial_state, output_final_state, cu_seqlens,
    )  # fmt: skip
