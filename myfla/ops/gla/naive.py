"""Gated linear attention written out token by token: the definition the tests hold the ops to.

No chunking, no padding, no dtype changes: run it on float64 inputs for a float64 reference.
"""

from typing import Optional, Tuple

import torch


def naive_recurrent_gla(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    gk: Optional[torch.Tensor],
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    gv: Optional[torch.Tensor] = None,
    scale: Optional[float] = None,
    reverse: bool = False,
    cu_seqlens: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """``q, k, gk: [B, T, H, K]``, ``v, gv: [B, T, H, V]`` (log decays), ``initial_state:
    [N, H, K, V]``; returns ``o: [B, T, H, V]`` and the final state ``[N, H, K, V]``.

    For each token ``t`` (last first if ``reverse``):
    ``S = exp(gk_t)[:, None] * S * exp(gv_t)[None, :] + k_t v_t^T``; ``o_t = scale S^T q_t``.
    """
    batch, seq_len, heads, key_dim = q.shape
    scale = key_dim**-0.5 if scale is None else scale
    bounds = [(b, 0, seq_len) for b in range(batch)]
    if cu_seqlens is not None:
        bounds = [(0, int(s), int(e)) for s, e in zip(cu_seqlens[:-1], cu_seqlens[1:])]
    o = torch.zeros_like(v)
    final_states = []
    for n, (b, start, end) in enumerate(bounds):
        state = v.new_zeros(heads, key_dim, v.shape[-1])
        if initial_state is not None:
            state = initial_state[n].to(v.dtype)
        steps = range(end - 1, start - 1, -1) if reverse else range(start, end)
        for t in steps:
            if gk is not None:
                state = state * gk[b, t].exp()[:, :, None]
            if gv is not None:
                state = state * gv[b, t].exp()[:, None, :]
            state = state + torch.einsum("hk,hv->hkv", k[b, t], v[b, t])
            o[b, t] = scale * torch.einsum("hk,hkv->hv", q[b, t], state)
        final_states.append(state)
    return o, torch.stack(final_states) if output_final_state else None
