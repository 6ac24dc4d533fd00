"""Padded batches to packed sequences and back (``fla.ops.utils.pack``), differentiably.

A padded ``[N, S, ...]`` batch holds sequence ``i`` (of length ``lens[i]``) at its last ``lens[i]``
steps (``padding_side='left'``) or its first (``'right'``); packed, it is ``[total, ...]``.
"""

from typing import Optional, Sequence

import torch

from myfla._checks import check_choice

from .index import prepare_lens, segments_and_positions

PADDING_SIDES = ("left", "right")


def _padded_rows(cu_seqlens: torch.Tensor, width: int, padding_side: str) -> torch.Tensor:
    """Flat row ``n * width + s`` of each packed token in the padded ``[N, width]`` grid."""
    check_choice("padding_side", padding_side, PADDING_SIDES)
    lens = prepare_lens(cu_seqlens).long()
    sequence, step = segments_and_positions(lens)
    if padding_side == "left":
        step = step + width - lens[sequence]
    return sequence * width + step


def pack_sequence(
    x: torch.Tensor, cu_seqlens: torch.Tensor, padding_side: str = "left"
) -> torch.Tensor:
    """``x [N, S, ...]`` padded -> ``[total, ...]`` packed."""
    rows = _padded_rows(cu_seqlens.to(x.device), x.shape[1], padding_side)
    return x.reshape((-1,) + tuple(x.shape[2:])).index_select(0, rows)


def unpack_sequence(
    x: torch.Tensor,
    cu_seqlens: torch.Tensor,
    padding_side: str = "left",
    desired_shape: Optional[Sequence[int]] = None,
) -> torch.Tensor:
    """``x [total, ...]`` packed -> ``[N, S, ...]`` padded with zeros (``S`` the longest length,
    or ``desired_shape``)."""
    cu_seqlens = cu_seqlens.to(x.device)
    if desired_shape is None:
        longest = int(prepare_lens(cu_seqlens).max())
        desired_shape = (cu_seqlens.numel() - 1, longest) + tuple(x.shape[1:])
    rows = _padded_rows(cu_seqlens, desired_shape[1], padding_side)
    out = x.new_zeros((desired_shape[0] * desired_shape[1],) + tuple(desired_shape[2:]))
    return out.index_copy(0, rows, x).view(tuple(desired_shape))


__all__ = ["pack_sequence", "unpack_sequence"]
