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
import torch.nn.functional as F

from .chunk import fit_chunk_size, merge_chunks, split_chunks
from .gated_linear import intra_chunk_scores


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
    (a WY-like form), and only the state is carried from chunk to chunk. The in-chunk per-key
    decays are GLA's (``intra_chunk_scores``: factored where mild, differenced in sub-chunks
    where steep); the rows at ``P_t`` are those at ``G_{t-1}`` of ``a`` moved one step earlier.
    Every factor between chunks (``exp(G_t)``, ``exp(G_C - G_j)``) is at most 1.
    """
    batch, heads, seq_len, key_dim = k.shape
    value_dim = v.shape[-1]
    state = initial_state
    if state is None:
        state = k.new_zeros(batch, heads, key_dim, value_dim)
    if seq_len == 0:
        return v.new_zeros(v.shape), state
    chunk_size = fit_chunk_size(chunk_size, seq_len)
    q, k, v, a, b, gk = (split_chunks(x, chunk_size) for x in (q, k, v, a, b, gk))
    g_cum = gk.cumsum(-2)  # G_t: [B, H, NT, C, K]
    g_prev = g_cum - gk  # P_t = G_{t-1}
    g_end = g_cum[..., -1:, :]  # G_C: [B, H, NT, 1, K]

    # Scores of the rows (q at G_t; a_{t+1} at G_t = P_{t+1}) against the columns (k, b), the
    # four pairs in one broadcast call ([2, 1, ...] against [1, 2, ...]), j <= t.
    a_next = torch.cat([a[..., 1:, :], torch.zeros_like(a[..., :1, :])], dim=-2)
    rows, cols = torch.stack([q, a_next]).unsqueeze(1), torch.stack([k, b]).unsqueeze(0)
    (a_qk, a_qb), (a_next_k, a_next_b) = intra_chunk_scores(rows, cols, g_cum)
    # Row t of A_ak, A_ab is row t - 1 of a_next's scores: j <= t - 1, i.e. j < t.
    a_ak, a_ab = (F.pad(x[..., :-1, :], (0, 0, 1, 0)) for x in (a_next_k, a_next_b))

    # u = (I - A_ab)^-1 (A_ak v) + (I - A_ab)^-1 (a exp(P)) S = U + W S, all chunks at once.
    rhs = torch.cat([a_ak @ v, a * g_prev.exp()], dim=-1)
    solved = torch.linalg.solve_triangular(-a_ab, rhs, upper=False, unitriangular=True)
    u_local, w = solved[..., :value_dim], solved[..., value_dim:]
    to_end = (g_end - g_cum).exp()  # exp(G_C - G_j) <= 1
    b_end = (b * to_end).transpose(-1, -2)  # [B, H, NT, K, C]
    kv_end = (k * to_end).transpose(-1, -2) @ v  # [B, H, NT, K, V]
    decay_end = g_end.exp().transpose(-1, -2)  # [B, H, NT, K, 1]

    # The only sequential part: carry the state across chunks.
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
