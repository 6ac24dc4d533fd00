"""Gated linear attention in canonical form: chunked (per-key decay in log space) and token loop.

Canonical inputs are head-first and share one floating dtype: ``q, k: [B, H, T, K]``,
``v: [B, H, T, V]``, log decays ``g``/``gk: [B, H, T, K]`` (per key), ``gv: [B, H, T, V]``
(per value), ``initial_state: [B, H, K, V]`` (key-first). Each step computes

    S_t = diag(exp(gk_t)) S_{t-1} diag(exp(gv_t)) + k_t v_t^T,   o_t = scale S_t^T q_t.

A step with ``k_t = 0`` and zero decays leaves the state unchanged: padding made of such steps
is exact.
"""

from typing import Optional, Tuple

import torch

from .chunked import fit_chunk_size, merge_chunks, split_chunks
from .decays import START, chunk_decay, decay_between, factored_chunks, intra_chunk_scores
from .nonfinite import causal_for_nonfinite


@causal_for_nonfinite("g")
def chunk_gated_linear_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    scale: float,
    initial_state: torch.Tensor,
    chunk_size: int = 64,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Chunked GLA; returns ``o: [B, H, T, V]`` and the final state ``[B, H, K, V]``.

    With ``G`` the cumulative log decay inside a chunk and ``S`` the state entering it:
    ``o = scale (exp(G) q S + A v)`` (``A`` from :func:`intra_chunk_scores`), and the state
    leaving it is ``exp(G_C) S + (exp(G_C - G) k)^T v``. Where some chunk decays by more than
    ``exp(-SPREAD_LIMIT)``, every factor formed is at most 1; otherwise ``A`` is the single
    product ``tril((q exp(G)) (k exp(-G))^T)``, whose factors stay within ``exp(SPREAD_LIMIT)``.
    """
    batch, heads, seq_len, key_dim = k.shape
    state = initial_state
    chunk_size = fit_chunk_size(chunk_size, seq_len)
    q, k, v, g = (split_chunks(x, chunk_size) for x in (q, k, v, g))  # [B, H, NT, C, .]
    g_cum = chunk_decay(g, -2)  # G: [B, H, NT, C, K]
    g_last = g_cum.map(lambda x: x[..., -1:, :])  # [B, H, NT, 1, K]
    from_start = decay_between(g_cum, START)  # exp(G) <= 1
    over_chunk = decay_between(g_last, START)  # exp(G_C)
    q_in = (from_start * scale) * q  # contiguous factor first: a contiguous product
    if factored_chunks(g_cum, decay_floor=None):
        k_back = (-g_cum.cum).exp() * k  # exp(-G) <= exp(SPREAD_LIMIT)
        scores = (q_in @ k_back.transpose(-1, -2)).tril_()
        k_out = k_back * over_chunk
    else:
        scores = intra_chunk_scores(q * scale, k, g_cum)
        k_out = k * decay_between(g_last, g_cum)
    updates = k_out.transpose(-1, -2) @ v  # [B, H, NT, K, V]
    over_chunk = over_chunk.transpose(-1, -2)  # [B, H, NT, K, 1]

    chunk_states = []
    for n in range(q.shape[2]):
        chunk_states.append(state)
        state = torch.addcmul(updates[:, :, n], over_chunk[:, :, n], state)
    starts = torch.stack(chunk_states, dim=2)  # [B, H, NT, K, V]

    # o = q_in S + A v, as one batched multiply-add over all chunks.
    size, value_dim = v.shape[-2:]
    o = torch.baddbmm(
        (q_in @ starts).reshape(-1, size, value_dim),
        scores.reshape(-1, size, size),
        v.reshape(-1, size, value_dim),
    )
    return merge_chunks(o.reshape(q.shape[:-1] + (value_dim,)), seq_len), state


def recurrent_gated_linear_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    scale: float,
    initial_state: torch.Tensor,
    gk: Optional[torch.Tensor] = None,
    gv: Optional[torch.Tensor] = None,
    reverse: bool = False,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Token-by-token GLA (last token first if ``reverse``); ``o: [B, H, T, V]``, final state."""
    if reverse:
        q, k, v, gk, gv = (None if x is None else x.flip(2) for x in (q, k, v, gk, gv))
    batch, heads, seq_len, key_dim = k.shape
    state = initial_state
    key_decay = None if gk is None else gk.exp().unsqueeze(-1)  # [B, H, T, K, 1]
    value_decay = None if gv is None else gv.exp().unsqueeze(-2)  # [B, H, T, 1, V]
    q = q * scale
    outputs = []
    for t in range(seq_len):
        if key_decay is not None:
            state = state * key_decay[:, :, t]
        if value_decay is not None:
            state = state * value_decay[:, :, t]
        state = state + k[:, :, t].unsqueeze(-1) * v[:, :, t].unsqueeze(-2)
        outputs.append((q[:, :, t].unsqueeze(-2) @ state).squeeze(-2))
    o = torch.stack(outputs, dim=2)
    return (o.flip(2) if reverse else o), state
