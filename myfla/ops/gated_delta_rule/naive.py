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


def naive_chunk_gated_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    beta: torch.Tensor,
    chunk_size: int = 64,
    scale: Optional[float] = None,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """The recurrence of :func:`naive_recurrent_gated_delta_rule`, chunk by chunk.

    Within a chunk with cumulative log decays ``G`` and entry state ``S0``, the values written,
    ``U``, solve ``(I + A) U = beta * (V - exp(G) K S0)`` with the strictly lower
    ``A_ij = beta_i exp(G_i - G_j) k_i . k_j``; then ``o_i = scale (exp(G_i) q_i^T S0 +
    sum_{j <= i} exp(G_i - G_j) (q_i . k_j) u_j)``. The last chunk is padded with identity steps.
    Shapes as :func:`naive_recurrent_gated_delta_rule` (no ``cu_seqlens``).
    """
    batch, seq_len, heads, key_dim = q.shape
    v_heads, value_dim = v.shape[2:]
    scale = key_dim**-0.5 if scale is None else scale
    q, k = (x.repeat_interleave(v_heads // heads, dim=2) for x in (q, k))
    pad = -seq_len % chunk_size
    chunks = (seq_len + pad) // chunk_size

    def split(x: torch.Tensor) -> torch.Tensor:  # [B, T, HV, ...] -> [B, HV, chunks, C, ...]
        x = torch.nn.functional.pad(x, (0, 0) * (x.dim() - 2) + (0, pad))
        x = x.reshape((batch, chunks, chunk_size) + tuple(x.shape[2:]))
        return x.movedim(3, 1)

    q, k, v, g, beta = split(q), split(k), split(v), split(g), split(beta)
    decays = g.cumsum(-1)  # [B, HV, chunks, C]
    pair_decay = (decays[..., :, None] - decays[..., None, :]).tril().exp().tril()
    strictly_lower = torch.ones(chunk_size, chunk_size, dtype=torch.bool, device=q.device).tril(-1)
    a = (beta[..., None] * (k @ k.transpose(-1, -2)) * pair_decay).masked_fill(~strictly_lower, 0)
    eye = torch.eye(chunk_size, dtype=a.dtype, device=a.device)
    scores = scale * (q @ k.transpose(-1, -2)) * pair_decay
    state = v.new_zeros(batch, v_heads, key_dim, value_dim)
    if initial_state is not None:
        state = initial_state.to(v.dtype)
    outputs = []
    for c in range(chunks):
        decay = decays[:, :, c, :, None].exp()  # [B, HV, C, 1]
        rhs = beta[:, :, c, :, None] * (v[:, :, c] - decay * (k[:, :, c] @ state))
        u = torch.linalg.solve_triangular(eye + a[:, :, c], rhs, upper=False, unitriangular=True)
        outputs.append(scale * decay * (q[:, :, c] @ state) + scores[:, :, c] @ u)
        last = decays[:, :, c, -1:, None]  # [B, HV, 1, 1]
        weights = (last - decays[:, :, c, :, None]).exp() * k[:, :, c]  # [B, HV, C, K]
        state = last.exp() * state + weights.transpose(-1, -2) @ u
    o = torch.stack(outputs, 2).reshape(batch, v_heads, -1, value_dim)[:, :, :seq_len]
    return o.transpose(1, 2), state if output_final_state else None
