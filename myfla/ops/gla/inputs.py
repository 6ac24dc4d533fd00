"""Checks and canonical form of the GLA op arguments (chunk and recurrent ops).

Public layout (fla's): ``q, k: [B, T, H, K]``, ``v: [B, T, H, V]``, log decays ``[B, T, H, K]``
per key and ``[B, T, H, V]`` per value, states ``[N, H, K, V]`` (``[N, H, V, K]`` with
``state_v_first``).
"""

from typing import Dict, Optional, Tuple

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


def run_gla(
    kernel: Kernel,
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    decays: Dict[str, Optional[torch.Tensor]],
    scale: Optional[float],
    initial_state: Optional[torch.Tensor],
    output_final_state: bool,
    state_v_first: bool,
    cu_seqlens: Optional[torch.Tensor],
    **options,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Check the arguments, run ``kernel`` on canonical head-first tensors, restore fla's layout.

    ``decays`` maps ``g``/``gk`` (per key) and ``gv`` (per value) to log decays or ``None``.
    Computation runs in float32, or float64 when ``q`` is float64; the output has ``q``'s dtype
    and the state stays in the compute dtype.
    """
    check_tensor("q", q, (None,) * 4, "[B, T, H, K]")
    check_tensor("k", k, q.shape, "[B, T, H, K] as q")
    check_tensor("v", v, (*q.shape[:3], None), "[B, T, H, V]")
    batch, seq_len, heads, key_dim = q.shape
    value_dim = v.shape[-1]
    for name, x in decays.items():
        if x is not None:
            dim, what = (value_dim, "[B, T, H, V]") if name == "gv" else (key_dim, "[B, T, H, K]")
            check_tensor(name, x, (batch, seq_len, heads, dim), what)
    check_scale(scale)
    num_seqs = num_sequences(cu_seqlens, batch, seq_len)
    check_state(initial_state, num_seqs, heads, key_dim, value_dim, state_v_first)

    dtype = compute_dtype(q)
    tensors = dict(q=q, k=k, v=v, **decays)
    tensors = {name: None if x is None else x.to(dtype) for name, x in tensors.items()}
    return run_head_first(
        kernel,
        tensors,
        initial_state,
        output_final_state,
        state_v_first,
        cu_seqlens,
        q.dtype,
        scale=key_dim**-0.5 if scale is None else scale,
        **options,
    )
