"""Token shift: the difference between the previous token and this one (fla.modules.token_shift)."""

from __future__ import annotations

import torch

from myfla._checks import check_tensor
from myfla.ops.utils import check_cu_seqlens


def token_shift(
    x: torch.Tensor,
    cu_seqlens: torch.Tensor | None = None,
    cache: torch.Tensor | None = None,
    output_cache: bool = False,
    chunk_indices: torch.Tensor | None = None,
):
    """``delta_t = x_{t-1} - x_t`` with ``x_{-1}`` taken from ``cache`` (zeros without one).

    Args:
        x: ``[B, T, D]`` (``[1, T, D]`` packed when ``cu_seqlens`` is given).
        cache: ``[N, D]``, the last token of each sequence's previous call.
    Returns:
        ``delta: [B, T, D]``, and with ``output_cache`` also the new cache ``[N, D]``: each
        sequence's last token (an empty packed sequence keeps its ``cache`` row, or zeros).
    ``chunk_indices`` is accepted for fla compatibility and not needed.
    """
    check_tensor("x", x)
    if x.dim() != 3:
        raise ValueError(f"x must have shape [B, T, D], got {list(x.shape)}")
    batch, seq_len, dim = x.shape
    num_seqs = batch
    if cu_seqlens is not None:
        offsets = check_cu_seqlens(cu_seqlens, batch, seq_len)
        num_seqs = len(offsets) - 1
    if cache is not None:
        check_tensor("cache", cache)
        if tuple(cache.shape) != (num_seqs, dim):
            raise ValueError(
                f"cache must have shape [N, D] = {[num_seqs, dim]}, got {list(cache.shape)}"
            )
        cache = cache.to(x.dtype)
    first = x.new_zeros(num_seqs, dim) if cache is None else cache
    if cu_seqlens is None:
        previous = torch.cat([first.unsqueeze(1), x[:, :-1]], dim=1)
        last = x[:, -1] if seq_len else first
    else:
        lens = torch.tensor([e - s for s, e in zip(offsets[:-1], offsets[1:])], device=x.device)
        nonempty = (lens > 0).nonzero().squeeze(1)
        starts = cu_seqlens[:-1].to(x.device).long()
        previous = torch.cat([x.new_zeros(1, 1, dim), x[:, :-1]], dim=1)
        previous = previous[0].index_put((starts[nonempty],), first[nonempty]).unsqueeze(0)
        ends = (starts + lens - 1).clamp_min(0)
        last = torch.where((lens > 0).unsqueeze(1), x[0, ends] if seq_len else first, first)
    delta = previous - x
    return (delta, last) if output_cache else delta


__all__ = ["token_shift"]
