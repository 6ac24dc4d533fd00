"""Time reversal of ``[B, T, ...]`` inputs, each packed sequence on its own: how the recurrent
ops run ``reverse=True`` (the forward recurrence on reversed inputs, its output reversed back)."""

from typing import Optional

import torch

from .index import prepare_lens, segments_and_positions
from .varlen import check_cu_seqlens


def time_reversed(x: torch.Tensor, cu_seqlens: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``x [B, T, ...]`` with the steps of each sequence (each row, or each packed sequence of
    ``cu_seqlens`` when given, then ``B == 1``) in reverse order; its own inverse."""
    if cu_seqlens is None:
        return x.flip(1)
    check_cu_seqlens(cu_seqlens, x.shape[0], x.shape[1])
    cu_seqlens = cu_seqlens.to(x.device).long()
    lens = prepare_lens(cu_seqlens)
    sequence, position = segments_and_positions(lens)
    return x.index_select(1, cu_seqlens[sequence] + lens[sequence] - 1 - position)


__all__ = ["time_reversed"]
