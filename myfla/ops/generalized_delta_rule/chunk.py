"""``chunk_dplr_delta_rule``: the DPLR delta rule computed chunk by chunk (training, prefill)."""

from typing import Optional, Tuple

import torch

from myfla.ops.kernel_inputs import KernelInputs, check_qkv
from myfla.ops.kernels import dplr
from myfla.ops.options import chunk_size_option, decay_floor_option, pop_options


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
    """The DPLR delta rule (see ``myfla.ops.kernels.dplr``) over chunks of tokens.

    Args:
        q, k, a, b: ``[B, T, H, K]``; gk: ``[B, T, H, K]`` log decays; v: ``[B, T, H, V]``.
        scale: default ``K ** -0.5``.
        initial_state: ``[N, H, K, V]``, ``N`` the batch size or the number of sequences.
        chunk_size: 16, 32 or 64 (default).
    Returns:
        ``o: [B, T, H, V]`` and the final state ``[N, H, K, V]`` (or ``None``).
    lower_bound: a lower bound of the log decays that the caller guarantees, as in fla (the
        layer passes its own): it lets the kernel choose its path without reading the decays.
    ``cu_seqlens_cpu``, ``safe_gate`` and ``disable_recompute`` are Triton tuning options of fla:
    accepted, and not needed here.
    """
    pop_options(kwargs, False, ())
    size = chunk_size_option(chunk_size, cp_context)
    check_qkv(q, k, v, a=a, b=b, gk=gk)
    inputs = KernelInputs.from_fla(
        dict(q=q, k=k, v=v, a=a, b=b, gk=gk), out_dtype=q.dtype, scale=scale,
        initial_state=initial_state, output_final_state=output_final_state, cu_seqlens=cu_seqlens,
    )  # fmt: skip
    floor = decay_floor_option(lower_bound)
    return inputs.run(dplr.chunk_dplr_delta_rule, chunk_size=size, decay_floor=floor)
