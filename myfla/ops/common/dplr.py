"""The diagonal-plus-low-rank (DPLR) delta rule in canonical form: chunked and token by token.

Canonical inputs are head-first and share one floating dtype: ``q, k, a, b, gk: [B, H, T, K]``
(``gk`` per-key log decays), ``v: [B, H, T, V]``, ``initial_state: [B, H, K, V]`` (key-first).
Each step computes

    S_t = diag(exp(gk_t)) S_{t-1} + b_t (a_t^T S_{t-1}) + k_t v_t^T,   o_t = scale S_t^T q_t

(in fla's value-first words: ``S_t = S_{t-1} (diag(exp(w_t)) + a_t b_t^T) + v_t k_t^T``). A step
with ``gk_t = 0`` and ``a_t = b_t = k_t = 0`` leaves the state unchanged: padding is exact.
"""

from typing import Optional, Tuple

import torch

from .chunk import merge_chunks, split_chunks

# Largest in-chunk spread of the cumulative log decay (per key) the chunked form accepts: every
# factor exp(+-(G - reference)) stays within exp(SPAN_LIMIT / 2), far from float32 overflow.
SPAN_LIMIT = 60.0


def _spread(g_cum: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per chunk and key: the middle of ``[min(0, G), max(0, G)]`` and its width.

    ``g_cum: [..., C, K]`` inclusive cumulative log decays; returns ``[..., 1, K]`` each.
    """
    low = g_cum.min(-2, keepdim=True).values.clamp_max(0)
    high = g_cum.max(-2, keepdim=True).values.clamp_min(0)
    return (low + high) / 2, high - low


def chunk_dplr_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    gk: torch.Tensor,
    scale: float,
    initial_state: Optional[torch.Tensor],
    chunk_size: int = 64,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Chunked DPLR delta rule; returns ``o: [B, H, T, V]`` and the final state ``[B, H, K, V]``.

    In a chunk entering with state ``S``, with ``G_t`` the inclusive cumulative log decay and
    ``P_t = G_t - gk_t``, the low-rank reads ``u_t = a_t^T S_{t-1}`` satisfy
    ``(I - A_ab) u = A_ak v + (a * exp(P)) S`` with ``A_xy[t, j] = sum_d x_td y_jd
    exp(P_td - G_jd)`` for ``j < t``: one unit-triangular solve per chunk gives ``u = U + W S``
    (a WY-like form), and only the state is carried from chunk to chunk. In-chunk decays
    ``exp(G_t - G_j)`` are split as ``exp(G_t - m) exp(m - G_j)`` about the middle ``m`` of the
    chunk's range, and the chunk is halved while that range is wider than ``SPAN_LIMIT``;
    every factor between chunks (``exp(G_t)``, ``exp(G_C - G_j)``) is at most 1.
    """
    batch, heads, seq_len, key_dim = k.shape
    g_cum = split_chunks(gk, chunk_size).cumsum(-2)  # G_t: [B, H, NT, C, K]
    middle, width = _spread(g_cum.detach())  # any middle would do: it cancels exactly
    if chunk_size > 1 and width.numel() and float(width.max()) > SPAN_LIMIT:
        # Decays too steep for this chunk size (never for RWKV7's, >= -exp(-0.5) per step).
        return chunk_dplr_delta_rule(q, k, v, a, b, gk, scale, initial_state, chunk_size // 2)
    q, k, v, a, b, gk = (split_chunks(x, chunk_size) for x in (q, k, v, a, b, gk))
    g_prev = g_cum - gk  # P_t = G_{t-1}
    g_end = g_cum[..., -1:, :]  # G_C: [B, H, NT, 1, K]

    into = (middle - g_cum).exp()
    q_mid, a_mid = q * (g_cum - middle).exp(), a * (g_prev - middle).exp()
    k_mid, b_mid = k * into, b * into
    ones = torch.ones(chunk_size, chunk_size, dtype=torch.bool, device=q.device)
    inclusive, strict = ones.tril(), ones.tril(-1)
    zero = q.new_zeros(())
    a_qk = torch.where(inclusive, q_mid @ k_mid.transpose(-1, -2), zero)
    a_qb = torch.where(inclusive, q_mid @ b_mid.transpose(-1, -2), zero)
    a_ak = torch.where(strict, a_mid @ k_mid.transpose(-1, -2), zero)
    a_ab = torch.where(strict, a_mid @ b_mid.transpose(-1, -2), zero)

    # u = (I - A_ab)^-1 (A_ak v) + (I - A_ab)^-1 (a exp(P)) S = U + W S, all chunks at once.
    value_dim = v.shape[-1]
    rhs = torch.cat([a_ak @ v, a * g_prev.exp()], dim=-1)
    solved = torch.linalg.solve_triangular(-a_ab, rhs, upper=False, unitriangular=True)
    u_local, w = solved[..., :value_dim], solved[..., value_dim:]
    to_end = (g_end - g_cum).exp()  # exp(G_C - G_j) <= 1
    b_end = (b * to_end).transpose(-1, -2)  # [B, H, NT, K, C]
    kv_end = (k * to_end).transpose(-1, -2) @ v  # [B, H, NT, K, V]
    decay_end = g_end.exp().transpose(-1, -2)  # [B, H, NT, K, 1]

    # The only sequential part: carry the state across chunks.
    state = initial_state
    if state is None:
        state = k.new_zeros(batch, heads, key_dim, value_dim)
    chunk_states, reads = [], []
    for n in range(q.shape[2]):
        u = u_local[:, :, n] + w[:, :, n] @ state
        chunk_states.append(state)
        reads.append(u)
        state = decay_end[:, :, n] * state + b_end[:, :, n] @ u + kv_end[:, :, n]
    starts = torch.stack(chunk_states, dim=2)  # [B, H, NT, K, V]
    u = torch.stack(reads, dim=2)  # [B, H, NT, C, V]

    o = (q * g_cum.exp()) @ starts + a_qk @ v + a_qb @ u
    return merge_chunks(o * scale, seq_len), state


def recurrent_dplr_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    gk: torch.Tensor,
    scale: float,
    initial_state: Optional[torch.Tensor],
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Token-by-token DPLR delta rule; returns ``o: [B, H, T, V]`` and the final state."""
    batch, heads, seq_len, key_dim = k.shape
    state = initial_state
    if state is None:
        state = k.new_zeros(batch, heads, key_dim, v.shape[-1])
    decay = gk.exp()
    outputs = []
    for t in range(seq_len):
        read = a[:, :, t].unsqueeze(-2) @ state  # a_t^T S: [B, H, 1, V]
        state = (
            decay[:, :, t].unsqueeze(-1) * state
            + b[:, :, t].unsqueeze(-1) * read
            + k[:, :, t].unsqueeze(-1) * v[:, :, t].unsqueeze(-2)
        )
        outputs.append((q[:, :, t].unsqueeze(-2) @ state).squeeze(-2))
    return torch.stack(outputs, dim=2) * scale, state
