"""Decays inside a chunk, from the cumulative log decays ``G``: the factors ``exp(G_i - G_j)``
(one per head, or one per key inside the scores ``sum_d q_id k_jd exp(G_id - G_jd)``), formed
so that no exponent grows past what float32 holds."""

from typing import Union

import torch

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


def decay_matrix(g_cum: torch.Tensor) -> torch.Tensor:
    """``exp(g_i - g_j)`` for ``j <= i`` and 0 elsewhere.

    ``g_cum``: ``[..., C]`` cumulative log decays inside each chunk; returns ``[..., C, C]``.
    """
    diff = g_cum.unsqueeze(-1) - g_cum.unsqueeze(-2)
    # Zeroed above the diagonal before exp, where the difference may be positive and overflow,
    # and again after (exp(0) = 1 there).
    return diff.tril_().exp_().tril()
