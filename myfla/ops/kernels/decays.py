"""Decays inside a chunk, from the log decays of its steps: their cumulative sums ``G`` with full
resets (a log decay of ``-inf``) kept exact, and the factors ``exp(G_i - G_j)`` between steps (one
per head, or one per key inside the scores ``sum_d q_id k_jd exp(G_id - G_jd)``), formed so that no
exponent grows past what float32 holds."""

from typing import Callable, NamedTuple, Optional, Union

import torch

from .chunked import host_reads_are_free

# Within a chunk or sub-chunk, exp(G_first - G_j) is formed directly only while it stays below
# exp(SPREAD_LIMIT) (2.4e17, so that its products with factors at most 1 stay far inside
# float32's range of exp(+-88)); beyond, decays are differenced first. 40 covers RWKV7's
# steepest decay over a chunk of 64 (64 * exp(-0.5) = 38.8).
SPREAD_LIMIT = 40.0
# Strongly decaying chunks are split into this many sub-chunks, recursively.
SUB_BLOCKS = 4


class ChunkDecay(NamedTuple):
    """Cumulative log decays inside each chunk, with full resets kept exact.

    ``cum``: the sum of the finite log decays from the chunk's start up to each step, inclusive;
    ``resets``: how many steps so far had a log decay of ``-inf`` (int32), or ``None`` when no step
    has one. The decay from step ``j`` to a later step ``i``, ``exp(G_i - G_j)``, is
    ``exp(cum_i - cum_j)`` when no reset lies in ``(j, i]`` (``resets_i == resets_j``), else 0.
    """

    cum: torch.Tensor
    resets: Optional[torch.Tensor]

    def map(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> "ChunkDecay":
        """The same indexing or reshaping applied to ``cum`` and ``resets``."""
        return ChunkDecay(fn(self.cum), None if self.resets is None else fn(self.resets))


# The chunk's start: no decay and no reset yet.
START = ChunkDecay(0.0, 0)


def chunk_decay(g: torch.Tensor, dim: int, bounded: bool = False) -> ChunkDecay:
    """:class:`ChunkDecay` of log decays ``g`` whose chunk steps run along ``dim``; the resets
    are counted unless the caller bounds ``g`` from below (``bounded``) or a free read on the
    host shows that there are none."""
    if bounded:
        return ChunkDecay(g.cumsum(dim), None)
    reset = torch.isneginf(g)
    if host_reads_are_free(g) and not reset.any():
        return ChunkDecay(g.cumsum(dim), None)
    return ChunkDecay(g.masked_fill(reset, 0.0).cumsum(dim), reset.cumsum(dim, dtype=torch.int32))


def before_each_step(decay: ChunkDecay, g: torch.Tensor) -> ChunkDecay:
    """The exclusive cumulative decays ``G_t - g_t`` (up to the step before), from ``g``'s own
    :class:`ChunkDecay` ``decay``."""
    if decay.resets is None:
        return ChunkDecay(decay.cum - g, None)
    reset = torch.isneginf(g)
    return ChunkDecay(decay.cum - g.masked_fill(reset, 0.0), decay.resets - reset.int())


def decay_between(
    later: ChunkDecay, earlier: ChunkDecay, keep: Optional[torch.Tensor] = None
) -> torch.Tensor:
    """``exp(G_later - G_earlier)`` broadcast, 0 across a reset and where ``keep`` is False.

    Masked before ``exp`` by selection, so that exponents left out (positive ones above a
    diagonal, say) neither overflow nor reach the result.
    """
    exponent = later.cum - earlier.cum
    if later.resets is not None:
        same = later.resets == earlier.resets
        keep = same if keep is None else keep & same
    if keep is not None:
        exponent = exponent.masked_fill(~keep, float("-inf"))
    return exponent.exp()


def lower_triangle(size: int, device: torch.device, diagonal: int = 0) -> torch.Tensor:
    """``[size, size]`` booleans, True on and below ``diagonal``."""
    return torch.ones(size, size, dtype=torch.bool, device=device).tril(diagonal)


def within_spread_limit(g_from: Union[float, torch.Tensor], g_to: torch.Tensor) -> bool:
    """Whether ``exp(g_from - g_to)`` stays below ``exp(SPREAD_LIMIT)`` everywhere."""
    spread = g_from - g_to
    return spread.numel() == 0 or bool(spread.max() <= SPREAD_LIMIT)


def factored_chunks(decay: ChunkDecay, decay_floor: Optional[float], dim: int = -2) -> bool:
    """Whether a chunked kernel may form its in-chunk scores as products of factors relative to
    the chunk's start, for cumulative decays ``decay`` whose chunk steps run along ``dim``
    (``[..., C, K]`` per key, ``[..., C]`` per head with ``dim=-1``).

    Yes when the caller bounds the log decays from below (``decay_floor``, fla's
    ``lower_bound``) so that no chunk of ``C`` steps decays by more than ``exp(-SPREAD_LIMIT)``: a
    static rule. Otherwise only where reading values on the host is free, and then when no chunk
    has a reset or decays by more than that; elsewhere the kernels take the exact path, which
    suits any decay.
    """
    if decay_floor is not None:
        return -decay_floor * decay.cum.shape[dim] <= SPREAD_LIMIT
    if not host_reads_are_free(decay.cum):
        return False
    last = decay.map(lambda x: x.narrow(dim, x.shape[dim] - 1, 1))
    if last.resets is not None and bool(last.resets.any()):  # counts only grow along a chunk
        return False
    return within_spread_limit(0.0, last.cum)


def factorizable(decay: ChunkDecay) -> bool:
    """Whether ``decay`` [..., C, K] (one block per row) has no reset after each block's first step
    and a spread within ``SPREAD_LIMIT``, so that factors relative to that step serve. Always
    False where reading values on the host is not free (the static rule: no read, exact path)."""
    if not host_reads_are_free(decay.cum):
        return False
    first, last = decay.map(lambda x: x[..., :1, :]), decay.map(lambda x: x[..., -1:, :])
    if last.resets is not None and bool((last.resets != first.resets).any()):
        return False
    return within_spread_limit(first.cum, last.cum)


def _factorized(q: torch.Tensor, k: torch.Tensor, g_cum: torch.Tensor) -> torch.Tensor:
    """Lower-triangular ``(q exp(G - G_1)) (k exp(G_1 - G))^T`` over ``[..., c, K]``.

    ``G_1`` is the first position's cumulative decay: the query factors are at most 1, the key
    factors at most ``exp(SPREAD_LIMIT)`` where the caller checked the spread.
    """
    keep = lower_triangle(g_cum.shape[-2], g_cum.device)
    rel = g_cum - g_cum[..., :1, :]
    return ((q * rel.exp()) @ (k * (-rel).exp()).transpose(-1, -2)) * keep


def _exact(q: torch.Tensor, k: torch.Tensor, decay: ChunkDecay) -> torch.Tensor:
    """Lower-triangular scores with ``exp(G_i - G_j)`` per key, differences masked before exp."""
    keep = lower_triangle(decay.cum.shape[-2], decay.cum.device)[..., None]
    pair = decay_between(
        decay.map(lambda x: x.unsqueeze(-2)), decay.map(lambda x: x.unsqueeze(-3)), keep
    )
    return (q.unsqueeze(-2) * pair * k.unsqueeze(-3)).sum(-1)  # [..., c(i), c(j)]


def intra_chunk_scores(q: torch.Tensor, k: torch.Tensor, decay: ChunkDecay) -> torch.Tensor:
    """``A_ij = sum_d q_id k_jd exp(G_id - G_jd)`` for ``j <= i`` (0 above the diagonal).

    ``q, k: [..., C, K]`` with ``decay`` their chunk's :class:`ChunkDecay` and ``C`` a power of
    2; returns ``[..., C, C]``. Where the decay over the chunk is mild (the usual case) one
    factorized product serves. Otherwise the chunk is split into ``SUB_BLOCKS`` sub-chunks: a
    query ``i`` after sub-chunk ``b`` and a key ``j`` in it meet through
    ``exp(G_i - G_end(b)) <= 1`` and ``exp(G_end(b) - G_j) <= 1``, so no exponent is positive;
    the sub-chunks themselves are scored the same way, recursively, down to ``SUB_BLOCKS``
    tokens, which take the exact per-key differences.
    """
    size = q.shape[-2]
    if factorizable(decay):
        return _factorized(q, k, decay.cum)
    if size <= SUB_BLOCKS:
        return _exact(q, k, decay)
    blocks = SUB_BLOCKS
    sub_size = size // blocks
    qs, ks = (x.unflatten(-2, (blocks, sub_size)) for x in (q, k))
    subs = decay.map(lambda x: x.unflatten(-2, (blocks, sub_size)))
    ends = subs.map(lambda x: x[..., -1, :])  # [..., m, K]
    block_of = torch.arange(size, device=q.device) // sub_size
    later = block_of.unsqueeze(0) > torch.arange(blocks, device=q.device).unsqueeze(1)  # [m, C]
    rows = decay_between(  # exp(G_i - G_end(b)) for i after block b: [..., m(b), C(i), K]
        decay.map(lambda x: x.unsqueeze(-3)), ends.map(lambda x: x.unsqueeze(-2)), later[..., None]
    )
    q_off = q.unsqueeze(-3) * rows
    k_off = ks * decay_between(ends.map(lambda x: x.unsqueeze(-2)), subs)  # [..., m(b), c, K]
    off = (q_off @ k_off.transpose(-1, -2)).movedim(-3, -2)  # [..., C(i), m(b), c(j)]
    diag = intra_chunk_scores(qs, ks, subs)  # [..., m, c, c]
    eye = torch.eye(blocks, dtype=q.dtype, device=q.device)[:, None, :, None]
    on_diag = diag.unsqueeze(-2) * eye  # [..., m, c, m, c]
    return (off + on_diag.flatten(-4, -3)).flatten(-2)


def decay_matrix(decay: ChunkDecay) -> torch.Tensor:
    """``exp(G_i - G_j)`` for ``j <= i`` and 0 elsewhere, from one log decay per step.

    ``decay``: cumulative log decays ``[..., C]``; returns ``[..., C, C]``.
    """
    keep = lower_triangle(decay.cum.shape[-1], decay.cum.device)
    return decay_between(
        decay.map(lambda x: x.unsqueeze(-1)), decay.map(lambda x: x.unsqueeze(-2)), keep
    )
