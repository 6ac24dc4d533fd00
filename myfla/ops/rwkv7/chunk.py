"""``chunk_rwkv7``: RWKV7's state update computed chunk by chunk (training, prefill)."""

from typing import Optional, Tuple

import torch

from myfla.ops.kernel_inputs import KernelInputs, check_qkv
from myfla.ops.kernels.dplr import chunk_dplr_delta_rule
from myfla.ops.options import chunk_size_option, decay_floor_option


def chunk_rwkv7(
    r: torch.Tensor,
    w: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    scale: float = 1.0,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    cu_seqlens: Optional[torch.Tensor] = None,
    cu_seqlens_cpu: Optional[torch.Tensor] = None,
    safe_gate: bool = False,
    chunk_size: Optional[int] = None,
    disable_recompute: bool = False,
    cp_context: object = None,
    lower_bound: Optional[float] = None,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """``S_t = diag(exp(w_t)) S + b_t (a_t^T S) + k_t v_t^T``, ``o_t = scale S_t^T r_t`` by chunks.

    Args:
        r, k, a, b: ``[B, T, H, K]``; w: ``[B, T, H, K]`` log decays; v: ``[B, T, H, V]``.
        initial_state: ``[N, H, K, V]``, ``N`` the batch size or the number of sequences.
        chunk_size: 16, 32 or 64 (default).
    Returns:
        ``o: [B, T, H, V]`` and the final state ``[N, H, K, V]`` (or ``None``).
    lower_bound: a lower bound of the log decays that the caller guarantees, as in fla (the
        layer passes its own): it lets the kernel choose its path without reading the decays.
    ``cu_seqlens_cpu``, ``safe_gate`` and ``disable_recompute`` are Triton tuning options of fla:
    accepted, and not needed here.
    """
    size = chunk_size_option(chunk_size, cp_context)
    check_qkv(r, k, v, ("r", "k", "v"), a=a, b=b, w=w)
    inputs = KernelInputs.from_fla(  # the DPLR kernel, q = r and gk = w
        dict(q=r, k=k, v=v, a=a, b=b, gk=w), out_dtype=r.dtype, scale=scale,
        initial_state=initial_state, output_final_state=output_final_state, cu_seqlens=cu_seqlens,
    )  # fmt: skip
    floor = decay_floor_option(lower_bound)
    return inputs.run(chunk_dplr_delta_rule, chunk_size=size, decay_floor=floor)
