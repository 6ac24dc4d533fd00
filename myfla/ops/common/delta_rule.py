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

from .chunk import decay_matrix, fit_chunk_size, merge_chunks, split_chunks


def chunk_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    beta: torch.Tensor,
    scale: float,
    initial_state: Optional[torch.Tensor],
    chunk_size: int = 64,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Chunked gated delta rule; returns ``o: [B, H, T, V]`` and the final state ``[B, H, K, V]``.

    Inside a chunk starting from state ``S``, with ``G_i`` the cumulative log decay, the
    corrected values satisfy ``(I + A) u = beta * v - beta * exp(G) * k S`` where
    ``A_ij = beta_i exp(G_i - G_j) k_i.k_j`` for ``j < i``. One unit-triangular solve per chunk
    gives ``u = U - W S`` (the WY/UT form); only the state is carried from chunk to chunk.
    """
    batch, heads, seq_len, key_dim = k.shape
    chunk_size = fit_chunk_size(chunk_size, seq_len)
    q, k, v, g, beta = (split_chunks(x, chunk_size) for x in (q, k, v, g, beta))
    g_cum = g.cumsum(-1)  # [B, H, NT, C]
    decay = decay_matrix(g_cum)  # exp(G_i - G_j), j <= i
    from_start = g_cum.exp().unsqueeze(-1)  # exp(G_i)
    over_chunk = g_cum[..., -1, None, None].exp()  # exp(G_C)

    # WY representation, for all chunks at once: T = (I + A)^-1, u = T beta v - T beta exp(G) k S.
    beta_gram = (k @ k.transpose(-1, -2) * decay * beta.unsqueeze(-1)).tril(-1)
    identity = torch.eye(chunk_size, dtype=k.dtype, device=k.device)
    inverse = torch.linalg.solve_triangular(
        beta_gram, identity.expand_as(beta_gram), upper=False, unitriangular=True
    )
    u_local = inverse @ (v * beta.unsqueeze(-1))
    w = inverse @ (k * (from_start * beta.unsqueeze(-1)))
    k_to_end = k * (g_cum[..., -1:] - g_cum).exp().unsqueeze(-1)  # k_i exp(G_C - G_i)

    # The only sequential part: carry the state across chunks.
    state = initial_state
    if state is None:
        state = k.new_zeros(batch, heads, key_dim, v.shape[-1])
    chunk_states, corrected = [], []
    for n in range(q.shape[2]):
        u = u_local[:, :, n] - w[:, :, n] @ state
        chunk_states.append(state)
        corrected.append(u)
        state = over_chunk[:, :, n] * state + k_to_end[:, :, n].transpose(-1, -2) @ u
    starts = torch.stack(chunk_states, dim=2)  # [B, H, NT, K, V]
    u = torch.stack(corrected, dim=2)  # [B, H, NT, C, V]

    o = (q * from_start) @ starts + (q @ k.transpose(-1, -2) * decay) @ u
    return merge_chunks(o * scale, seq_len), state


def recurrent_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    scale: float,
    initial_state: Optional[torch.Tensor],
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
    if state is None:
        state = k.new_zeros(batch, heads, key_dim, v.shape[-1])
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
