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

from .chunked import fit_chunk_size, flat, merge_chunk_major, to_chunks
from .decays import (
    START,
    ChunkDecay,
    before_each_step,
    chunk_decay,
    decay_between,
    factored_chunks,
    intra_chunk_scores,
)
from .nonfinite import causal_for_nonfinite
from .scan import scan_chunks
from .triangular import unit_lower_inverse


@causal_for_nonfinite("gk")
def chunk_dplr_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    gk: torch.Tensor,
    scale: float,
    initial_state: torch.Tensor,
    chunk_size: int = 64,
    decay_floor: Optional[float] = None,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Chunked DPLR delta rule; returns ``o: [B, H, T, V]`` and the final state ``[B, H, K, V]``.

    ``decay_floor``: a lower bound of ``gk`` that the caller guarantees (fla's ``lower_bound``),
    which lets the kernel choose its path without reading the decays.

    In a chunk entering with state ``S``, with ``G_t`` the inclusive cumulative log decay and
    ``P_t = G_t - gk_t``, the low-rank reads ``u_t = a_t^T S_{t-1}`` satisfy
    ``(I - A_ab) u = A_ak v + (a * exp(P)) S`` with ``A_xy[t, j] = sum_d x_td y_jd
    exp(P_td - G_jd)`` for ``j < t``: one unit-triangular solve per chunk gives ``u = U + W S``
    (a WY-like form), and only the state is carried from chunk to chunk. Every factor between
    chunks (``exp(G_t)``, ``exp(G_C - G_j)``) is at most 1.
    """
    seq_len = k.shape[2]
    size = fit_chunk_size(chunk_size, seq_len)
    q, k, v, a, b = (to_chunks(x, size) for x in (q, k, v, a, b))  # [NT, B, H, C, .], views
    v = v.contiguous()  # three products read it
    gk = to_chunks(gk, size).contiguous()
    # Each element-wise product below takes its contiguous (chunk-major) factor first, which
    # lays the product out so for the batched matrix products.
    g_cum = chunk_decay(gk, -2, bounded=decay_floor is not None)  # G_t: [NT, B, H, C, K]
    from_start = decay_between(g_cum, START)  # exp(G_t) <= 1
    end_decay = from_start[..., -1:, :]  # exp(G_C): [NT, B, H, 1, K]
    q_in = (from_start * scale) * q
    a_in = decay_between(before_each_step(g_cum, gk), START) * a  # a exp(P)
    if factored_chunks(g_cum, decay_floor):
        scores, k_end, b_end = _factorized_scores(q_in, a_in, k, b, g_cum.cum, end_decay)
    else:
        scores, k_end, b_end = _differenced_scores(q * scale, k, a, b, g_cum)
    a_qk, a_qb, a_ak, a_ab = scores

    # u = (I - A_ab)^-1 (A_ak v) + (I - A_ab)^-1 (a exp(P)) S = U + W S, all chunks at once.
    inverse = unit_lower_inverse(a_ab, sign=-1.0)
    starts, u, state = scan_chunks(
        initial_state.flatten(0, 1),
        end_decay.mT.flatten(1, 2),  # [NT, B * H, K, 1]
        (k_end.mT @ v).flatten(1, 2),  # [NT, B * H, K, V]
        u_local=(inverse @ (a_ak @ v)).flatten(1, 2),
        w=(inverse @ a_in).flatten(1, 2),
        e=b_end.flatten(1, 2),
    )
    o = torch.bmm(flat(q_in), flat(starts))
    o = o.baddbmm_(flat(a_qk), flat(v)).baddbmm_(flat(a_qb), flat(u))
    return merge_chunk_major(o.view(v.shape), seq_len), state.view_as(initial_state)


def _factorized_scores(
    q_in: torch.Tensor,
    a_in: torch.Tensor,
    k: torch.Tensor,
    b: torch.Tensor,
    g_cum: torch.Tensor,
    end_decay: torch.Tensor,
) -> Tuple[Tuple[torch.Tensor, ...], torch.Tensor, torch.Tensor]:
    """``(A_qk, A_qb, A_ak, A_ab)`` and the columns at the chunk's end, ``k, b exp(G_C - G)``.

    Rows ``q exp(G)``, ``a exp(P)`` (at most 1) against columns ``k exp(-G)``, ``b exp(-G)``: valid
    where no chunk decays by more than ``exp(-SPREAD_LIMIT)``, which bounds the column factors.
    """
    back = g_cum.neg().exp_()  # exp(-G) <= exp(SPREAD_LIMIT)
    k_back, b_back = back * k, back * b
    a_qk = (q_in @ k_back.mT).tril_()
    a_qb = (q_in @ b_back.mT).tril_()
    a_ak = (a_in @ k_back.mT).tril_(-1)
    a_ab = a_in @ b_back.mT  # the inverse reads j < t only
    return (a_qk, a_qb, a_ak, a_ab), k_back * end_decay, b_back * end_decay


def _differenced_scores(
    q: torch.Tensor, k: torch.Tensor, a: torch.Tensor, b: torch.Tensor, g_cum: ChunkDecay
) -> Tuple[Tuple[torch.Tensor, ...], torch.Tensor, torch.Tensor]:
    """As :func:`_factorized_scores`, for any decay: GLA's ``intra_chunk_scores`` (sub-chunks
    where steep) gives the four pairs in one broadcast call ([2, 1, ...] against [1, 2, ...]).

    ``a_{t+1}``'s rows at ``G_t = P_{t+1}`` give row ``t + 1`` of ``A_ak``, ``A_ab``.
    """
    a_next = torch.cat([a[..., 1:, :], torch.zeros_like(a[..., :1, :])], dim=-2)
    rows, cols = torch.stack([q, a_next]).unsqueeze(1), torch.stack([k, b]).unsqueeze(0)
    (a_qk, a_qb), (a_next_k, a_next_b) = intra_chunk_scores(rows, cols, g_cum)
    a_ak, a_ab = (F.pad(x[..., :-1, :], (0, 0, 1, 0)) for x in (a_next_k, a_next_b))
    to_end = decay_between(g_cum.map(lambda x: x[..., -1:, :]), g_cum)  # exp(G_C - G) <= 1
    return (a_qk, a_qb, a_ak, a_ab), to_end * k, to_end * b


def recurrent_dplr_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    gk: torch.Tensor,
    scale: float,
    initial_state: torch.Tensor,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Token-by-token DPLR delta rule; returns ``o: [B, H, T, V]`` and the final state."""
    batch, heads, seq_len, key_dim = k.shape
    state = initial_state
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
