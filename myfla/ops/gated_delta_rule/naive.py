"""The gated delta rule written out token by token: the definition the tests hold the ops to.

No chunking, no padding, no dtype changes: run it on float64 inputs for a float64 reference.
"""

from typing import Optional, Tuple

import torch


def naive_recurrent_gated_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    g: torch.Tensor,
    scale: Optional[float] = None,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    cu_seqlens: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """``q, k: [B, T, H, K]``, ``v: [B, T, HV, V]``, ``beta, g: [B, T, HV]`` (log decays, post
    activation), ``initial_state: [N, HV, K, V]``; returns ``o: [B, T, HV, V]`` and the final
    state ``[N, HV, K, V]``.

    For each value head ``h`` (reading key head ``h // (HV // H)``) and token ``t``:
    ``S = exp(g_t) S``; ``S = S + beta_t k_t (v_t - S^T k_t)^T``; ``o_t = scale S^T q_t``.
    """
    batch, seq_len, heads, key_dim = q.shape
    v_heads, value_dim = v.shape[2:]
    scale = key_dim**-0.5 if scale is None else scale
    bounds = [(b, 0, seq_len) for b in range(batch)]
    if cu_seqlens is not None:
        bounds = [(0, int(s), int(e)) for s, e in zip(cu_seqlens[:-1], cu_seqlens[1:])]
    key_head = torch.arange(v_heads, device=q.device) // (v_heads // heads)
    o = torch.zeros_like(v)
    final_states = []
    for n, (b, start, end) in enumerate(bounds):
        state = v.new_zeros(v_heads, key_dim, value_dim)
        if initial_state is not None:
            state = initial_state[n].to(v.dtype)
        for t in range(start, end):
            q_t, k_t = q[b, t, key_head], k[b, t, key_head]  # [HV, K]
            state = state * g[b, t].exp()[:, None, None]
            error = v[b, t] - torch.einsum("hk,hkv->hv", k_t, state)
            state = state + beta[b, t][:, None, None] * torch.einsum("hk,hv->hkv", k_t, error)
            o[b, t] = scale * torch.einsum("hk,hkv->hv", q_t, state)
        final_states.append(state)
    return o, torch.stack(final_states) if output_final_state else None
