"""Checks and canonical form of the DPLR delta-rule arguments (chunk and recurrent ops).

Public layout (fla's): ``q, k, a, b, gk: [B, T, H, K]``, ``v: [B, T, H, V]``, states
``[N, H, K, V]`` with ``N`` the batch size or the number of packed sequences.
"""

from typing import Optional, Sequence, Tuple

import torch

from myfla.ops.utils.inputs import (
    Kernel,
    check_scale,
    check_state,
    check_tensor,
    compute_dtype,
    num_sequences,
    run_head_first,
)


def run_dplr(
    kernel: Kernel,
    names: Sequence[str],
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    gk: torch.Tensor,
    scale: Optional[float],
    initial_state: Optional[torch.Tensor],
    output_final_state: bool,
    cu_seqlens: Optional[torch.Tensor],
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Check the arguments, bring them to canonical form, run ``kernel`` and restore fla's layout.

    ``names``: what the caller calls ``q, k, v, a, b, gk`` (RWKV7 says ``r, k, v, a, b, w``), for
    the error messages. ``kernel(q, k, v, a, b, gk, scale=, initial_state=)`` takes canonical
    head-first tensors (``myfla.ops.common.dplr``). Computation runs in float32, or float64 when
    ``q`` is float64; the output has ``q``'s dtype, the state stays in the compute dtype.
    """
    check_tensor(names[0], q, (None,) * 4, "[B, T, H, K]")
    for name, x in zip(names[1:], (k, v, a, b, gk)):
        if x is v:
            check_tensor(name, v, (*q.shape[:3], None), "[B, T, H, V]")
        else:
            check_tensor(name, x, q.shape, f"[B, T, H, K] as {names[0]}")
    batch, seq_len, heads, key_dim = q.shape
    check_scale(scale)
    num_seqs = num_sequences(cu_seqlens, batch, seq_len)
    check_state(initial_state, num_seqs, heads, key_dim, v.shape[-1], state_v_first=False)
    dtype = compute_dtype(q)
    tensors = dict(zip(("q", "k", "v", "a", "b", "gk"), (x.to(dtype) for x in (q, k, v, a, b, gk))))
    return run_head_first(
        kernel,
        tensors,
        initial_state,
        output_final_state,
        state_v_first=False,
        cu_seqlens=cu_seqlens,
        out_dtype=q.dtype,
        scale=key_dim**-0.5 if scale is None else scale,
    )
