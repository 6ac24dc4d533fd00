"""Gated linear attention in canonical form: chunked (per-key decay in log space) and token loop.

Canonical inputs are head-first and share one floating dtype: ``q, k: [B, H, T, K]``,
``v: [B, H, T, V]``, log decays ``g``/``gk: [B, H, T, K]`` (per key), ``gv: [B, H, T, V]``
(per value), ``initial_state: [B, H, K, V]`` (key-first). Each step computes

    S_t = diag(exp(gk_t)) S_{t-1} diag(exp(gv_t)) + k_t v_t^T,   o_t = scale S_t^T q_t.

A step with ``k_t = 0`` and zero decays leaves the state unchanged: padding made of such steps
is exact.
"""

from typing import Optional, Tuple, Union

import torch

from .chunk import fit_chunk_size, merge_chunks, split_chunks

# Within a chunk or sub-chunk, exp(G_first - G_j) is formed directly only while it stays below
# exp(SPREAD_LIMIT) (2.4e17, so that its products with factors at most 1 stay far inside
# float32's range of exp(+-88)); beyond, decays are differenced first. 40 covers RWKV7's
# steepest decay over a chunk of 64 (64 * exp(-0.5) = 38.8).
SPREAD_LIMIT = 40.0
# Strongly decaying chunks are split into this many sub-chunks, recursively.
SUB_BLOCKS = 4


def within_spread_limit(g_from: Union[float, torch.Tensor], g_to: torch.Tensor) -> bool:
    """Whether ``exp(g_from - g_to)`` stays below ``exp(SPREAD_LIMIT)`` everywhere."""
    spread = g_from - g_to
    return spread.numel() == 0 or bool(spread.max() <= SPREAD_LIMIT)


def _factorized(q: torch.Tensor, k: torch.Tensor, g_cum: torch.Tensor) -> torch.Tensor:
    """Lower-triangular ``(q exp(G - G_1)) (k exp(G_1 - G))^T`` over ``[..., c, K]``.

    ``G_1`` is the first position's cumulative decay: the query factors are at most 1, the key
    factors at most ``exp(SPREAD_LIMIT)`` where the caller checked the spread.
    """
    size = g_cum.shape[-2]
    keep = torch.ones(size, size, dtype=torch.bool, device=g_cum.device).tril()
    rel = g_cum - g_cum[..., :1, :]
    return ((q * rel.exp()) @ (k * (-rel).exp()).transpose(-1, -2)) * keep


def _exact(q: torch.Tensor, k: torch.Tensor, g_cum: torch.Tensor) -> torch.Tensor:
    """Lower-triangular scores with ``exp(G_i - G_j)`` per key, differences masked before exp."""
    size = g_cum.shape[-2]
    keep = torch.ones(size, size, dtype=torch.bool, device=g_cum.device).tril()
    diff = g_cum.unsqueeze(-2) - g_cum.unsqueeze(-3)  # [..., c(i), c(j), K]
    decay = diff.masked_fill(~keep[..., None], float("-inf")).exp()
    return (q.unsqueeze(-2) * decay * k.unsqueeze(-3)).sum(-1)


def intra_chunk_scores(q: torch.Tensor, k: torch.Tensor, g_cum: torch.Tensor) -> torch.Tensor:
    """``A_ij = sum_d q_id k_jd exp(G_id - G_jd)`` for ``j <= i`` (0 above the diagonal).

    ``q, k, g_cum: [..., C, K]`` with ``g_cum`` the cumulative log decay inside the chunk and
    ``C`` a power of 2; returns ``[..., C, C]``. Where the decay over the chunk is mild (the
    usual case) one factorized product serves. Otherwise the chunk is split into ``SUB_BLOCKS``
    sub-chunks: a query ``i`` after sub-chunk ``b`` and a key ``j`` in it meet through
    ``exp(G_i - G_end(b)) <= 1`` and ``exp(G_end(b) - G_j) <= 1``, so no exponent is positive;
    the sub-chunks themselves are scored the same way, recursively, down to ``SUB_BLOCKS``
    tokens, which take the exact per-key differences.
    """
    size = q.shape[-2]
    if within_spread_limit(g_cum[..., :1, :], g_cum[..., -1:, :]):
        return _factorized(q, k, g_cum)
    if size <= SUB_BLOCKS:
        return _exact(q, k, g_cum)
    blocks = SUB_BLOCKS
    sub_size = size // blocks
    qs, ks, gs = (x.unflatten(-2, (blocks, sub_size)) for x in (q, k, g_cum))
    g_end = gs[..., -1, :]  # [..., m, K]
    block_of = torch.arange(size, device=q.device) // sub_size
    later = block_of.unsqueeze(0) > torch.arange(blocks, device=q.device).unsqueeze(1)  # [m, C]
    rel = g_cum.unsqueeze(-3) - g_end.unsqueeze(-2)  # [..., m(b), C(i), K]
    q_off = q.unsqueeze(-3) * rel.masked_fill(~later[..., None], float("-inf")).exp()
    k_off = ks * (g_end.unsqueeze(-2) - gs).exp()  # [..., m(b), c, K]
    off = (q_off @ k_off.transpose(-1, -2)).movedim(-3, -2)  # [..., C(i), m(b), c(j)]
    diag = intra_chunk_scores(qs, ks, gs)  # [..., m, c, c]
    eye = torch.eye(blocks, dtype=q.dtype, device=q.device)[:, None, :, None]
    on_diag = diag.unsqueeze(-2) * eye  # [..., m, c, m, c]
    return (off + on_diag.flatten(-4, -3)).flatten(-2)


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
    g_cum = g.cumsum(-2)
    g_last = g_cum[..., -1:, :]  # [B, H, NT, 1, K]
    from_start = g_cum.exp()  # exp(G) <= 1
    chunk_decay = g_last.exp()  # exp(G_C)
    q_in = (from_start * scale) * q  # contiguous factor first: a contiguous product
    if within_spread_limit(0.0, g_last):
        k_back = (-g_cum).exp() * k  # exp(-G) <= exp(SPREAD_LIMIT)
        scores = (q_in @ k_back.transpose(-1, -2)).tril_()
        k_out = k_back * chunk_decay
    else:
        scores = intra_chunk_scores(q * scale, k, g_cum)
        k_out = k * (g_last - g_cum).exp()
    updates = k_out.transpose(-1, -2) @ v  # [B, H, NT, K, V]
    over_chunk = chunk_decay.transpose(-1, -2)  # [B, H, NT, K, 1]

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
    return merge_chunks(o.view(q.shape[:-1] + (value_dim,)), seq_len), state


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
