"""The gated delta rule in canonical form: chunked (WY representation) and token by token.

Canonical inputs are head-first and share one floating dtype, with as many key heads as value
heads (grouped heads are expanded by the caller):
``q, k: [B, H, T, K]``, ``v: [B, H, T, V]``, ``g: [B, H, T]`` log decays, ``beta: [B, H, T]``,
``initial_state: [B, H, K, V]`` (key-first). Each step computes

    S_t = a_t S_{t-1} + k_t u_t^T,   u_t = beta_t (v_t - a_t S_{t-1}^T k_t),   o_t = scale S_t^T q_t

with ``a_t = exp(g_t)``. A step with ``k_t = 0``, ``beta_t = 0`` and ``g_t = 0`` leaves the
state unchanged: padding made of such steps is exact.
"""

from typing import Optional, Tuple

import torch

from .chunked import (
    batched,
    fit_chunk_size,
    merge_chunks,
    scan_chunks,
    solve_unit_lower,
    split_chunks,
)
from .decays import START, chunk_decay, decay_between, decay_matrix
from .nonfinite import causal_for_nonfinite


@causal_for_nonfinite("g")
def chunk_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    beta: torch.Tensor,
    scale: float,
    initial_state: torch.Tensor,
    chunk_size: int = 64,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Chunked gated delta rule; returns ``o: [B, H, T, V]`` and the final state ``[B, H, K, V]``.

    Inside a chunk starting from state ``S``, with ``G_i`` the cumulative log decay, the
    corrected values satisfy ``(I + A) u = beta * v - beta * exp(G) * k S`` where
    ``A_ij = beta_i exp(G_i - G_j) k_i.k_j`` for ``j < i``. One unit-triangular solve per chunk
    gives ``u = U + W S`` (the WY/UT form); only the state is carried from chunk to chunk.
    """
    batch, heads, seq_len, key_dim = k.shape
    value_dim = v.shape[-1]
    state = initial_state
    chunk_size = fit_chunk_size(chunk_size, seq_len)
    q, k, v, g, beta = (split_chunks(x, chunk_size) for x in (q, k, v, g, beta))
    # The inputs may be strided views: k is read by three products, and each element-wise
    # product below takes its contiguous factor first, which lays it out contiguously.
    k = k.contiguous()
    beta = beta.unsqueeze(-1).contiguous()  # [B, H, NT, C, 1]
    g_cum = chunk_decay(g, -1)  # G: [B, H, NT, C]
    decay = decay_matrix(g_cum)  # exp(G_i - G_j), j <= i
    from_start = decay_between(g_cum, START).unsqueeze(-1)  # exp(G_i)
    k_beta = beta * k

    # WY representation, for all chunks at once: u = (I + A)^-1 (beta v - beta exp(G) k S)
    # = U + W S, with A = beta_i exp(G_i - G_j) k_i.k_j below the diagonal.
    gram = (k_beta @ k.mT) * decay
    solved = solve_unit_lower(gram, torch.cat([beta * v, k_beta * -from_start], dim=-1))
    last = g_cum.map(lambda x: x[..., -1:])
    k_end = decay_between(last, g_cum).unsqueeze(-1) * k  # k_i exp(G_C - G_i)
    decay_end = decay_between(last, START)[..., None]  # exp(G_C): [B, H, NT, 1, 1]
    starts, u, state = scan_chunks(
        state, solved[..., :value_dim], solved[..., value_dim:], k_end, decay_end
    )

    # o = exp(G) q S + (q k^T * decay) u, as one batched multiply-add over all chunks.
    o = batched(from_start * q) @ batched(starts)
    o = o.baddbmm_(batched((q @ k.mT) * decay), batched(u))
    return merge_chunks(o.reshape(v.shape[:-1] + (value_dim,)).mul_(scale), seq_len), state


def recurrent_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    scale: float,
    initial_state: torch.Tensor,
    g: Optional[torch.Tensor] = None,
    gk: Optional[torch.Tensor] = None,
    gv: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Token-by-token gated delta rule; returns ``o: [B, H, T, V]`` and the final state.

    Decays may be per head (``g: [B, H, T]``), per key (``gk: [B, H, T, K]``) or per value
    (``gv: [B, H, T, V]``), and ``beta`` per head ``[B, H, T]`` or per value ``[B, H, T, V]``.
    """
    batch, heads, seq_len, key_dim = k.shape
    state = initial_state
    if beta.dim() == 3:
        beta = beta.unsqueeze(-1)
    q = q * scale
    outputs = []
    for t in range(seq_len):
        if g is not None:
            state = state * g[:, :, t, None, None].exp()
        if gk is not None:
            state = state * gk[:, :, t, :, None].exp()
        if gv is not None:
            state = state * gv[:, :, t, None, :].exp()
        k_t = k[:, :, t]
        u = beta[:, :, t] * (v[:, :, t] - (k_t.unsqueeze(-2) @ state).squeeze(-2))
        state = state + k_t.unsqueeze(-1) * u.unsqueeze(-2)
        outputs.append((q[:, :, t].unsqueeze(-2) @ state).squeeze(-2))
    return torch.stack(outputs, dim=2), state
