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

from .chunked import fit_chunk_size, flat, merge_chunk_major, to_chunks
from .decays import START, chunk_decay, decay_between, factored_chunks, intra_chunk_scores
from .nonfinite import causal_for_nonfinite
from .scan import scan_chunks


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
    seq_len = k.shape[2]
    size = fit_chunk_size(chunk_size, seq_len)
    q, k, v = (to_chunks(x, size) for x in (q, k, v))  # [NT, B, H, C, .], views
    v = v.contiguous()  # two products read it
    g_cum = chunk_decay(to_chunks(g, size).contiguous(), -2)  # G: [NT, B, H, C, K]
    g_last = g_cum.map(lambda x: x[..., -1:, :])  # [NT, B, H, 1, K]
    from_start = decay_between(g_cum, START)  # exp(G) <= 1
    over_chunk = decay_between(g_last, START)  # exp(G_C)
    q_in = (from_start * scale) * q  # contiguous factor first: a contiguous product
    if factored_chunks(g_cum, decay_floor=None):
        k_back = (-g_cum.cum).exp() * k  # exp(-G) <= exp(SPREAD_LIMIT)
        scores = (q_in @ k_back.mT).tril_()
        k_out = k_back * over_chunk
    else:
        scores = intra_chunk_scores(q * scale, k, g_cum)
        k_out = decay_between(g_last, g_cum) * k
    starts, _, state = scan_chunks(
        initial_state.flatten(0, 1),
        over_chunk.mT.flatten(1, 2),  # [NT, B * H, K, 1]
        (k_out.mT @ v).flatten(1, 2),  # [NT, B * H, K, V]
    )
    o = torch.bmm(flat(q_in), flat(starts)).baddbmm_(flat(scores), flat(v))
    return merge_chunk_major(o.view(v.shape), seq_len), state.view_as(initial_state)


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
