"""Index helpers of packed sequences (``fla.ops.utils.index``), for ``cu_seqlens [N + 1]``.

Lengths ``lens [N]``, offsets ``cu_seqlens = [0, lens[0], lens[0] + lens[1], ...]``; the tokens
of sequence ``i`` are ``cu_seqlens[i]:cu_seqlens[i + 1]`` of a packed ``[1, total, ...]`` tensor.
"""

from typing import Optional

import torch
import torch.nn.functional as F


def prepare_lens(cu_seqlens: torch.Tensor) -> torch.Tensor:
    """``[N + 1]`` offsets -> ``[N]`` lengths."""
    return torch.diff(cu_seqlens)


def prepare_lens_from_mask(mask: torch.Tensor) -> torch.Tensor:
    """``[B, T]`` 0/1 (or bool) mask -> ``[B]`` int32 lengths."""
    return mask.sum(dim=-1, dtype=torch.int32)


def prepare_cu_seqlens_from_lens(
    lens: torch.Tensor, dtype: Optional[torch.dtype] = torch.int32
) -> torch.Tensor:
    """``[N]`` lengths -> ``[N + 1]`` offsets starting at 0."""
    return F.pad(lens.cumsum(dim=0, dtype=dtype), (1, 0))


def prepare_cu_seqlens_from_mask(
    mask: torch.Tensor, dtype: Optional[torch.dtype] = torch.int32
) -> torch.Tensor:
    """``[B, T]`` mask -> ``[B + 1]`` offsets of its sequences."""
    return prepare_cu_seqlens_from_lens(prepare_lens_from_mask(mask), dtype)


def segments_and_positions(counts: torch.Tensor):
    """For ``counts [N]``: each slot's segment and its position in it, both ``[counts.sum()]``."""
    counts = counts.long()
    segment = torch.repeat_interleave(torch.arange(counts.numel(), device=counts.device), counts)
    starts = F.pad(counts.cumsum(0), (1, 0))[:-1]
    return segment, torch.arange(segment.numel(), device=counts.device) - starts[segment]


def prepare_position_ids(
    cu_seqlens: torch.Tensor, cu_seqlens_cpu: Optional[torch.Tensor] = None
) -> torch.Tensor:
    """``[total]`` position of each packed token in its sequence (0 at each start)."""
    source = cu_seqlens if cu_seqlens_cpu is None else cu_seqlens_cpu
    return segments_and_positions(prepare_lens(source))[1].to(cu_seqlens)


def prepare_sequence_ids(
    cu_seqlens: torch.Tensor, cu_seqlens_cpu: Optional[torch.Tensor] = None
) -> torch.Tensor:
    """``[total]`` index of each packed token's sequence, counting non-empty sequences only."""
    return prepare_position_ids(cu_seqlens, cu_seqlens_cpu).eq(0).cumsum(0) - 1


def prepare_token_indices(
    cu_seqlens: torch.Tensor, cu_seqlens_cpu: Optional[torch.Tensor] = None
) -> torch.Tensor:
    """``[total, 2]``: (sequence id, position) of each packed token."""
    positions = prepare_position_ids(cu_seqlens, cu_seqlens_cpu)
    sequences = prepare_sequence_ids(cu_seqlens, cu_seqlens_cpu)
    return torch.stack([sequences, positions], 1).to(cu_seqlens)


def _chunk_counts(lens: torch.Tensor, chunk_size: int) -> torch.Tensor:
    return (lens + chunk_size - 1).div(chunk_size, rounding_mode="floor")


def prepare_chunk_indices(
    cu_seqlens: torch.Tensor, chunk_size: int, cu_seqlens_cpu: Optional[torch.Tensor] = None
) -> torch.Tensor:
    """``[num_chunks, 2]``: (sequence, chunk in the sequence) of every ``chunk_size`` chunk."""
    source = cu_seqlens if cu_seqlens_cpu is None else cu_seqlens_cpu
    segment, chunk = segments_and_positions(_chunk_counts(prepare_lens(source), chunk_size))
    return torch.stack([segment, chunk], 1).to(cu_seqlens)


def prepare_chunk_offsets(cu_seqlens: torch.Tensor, chunk_size: int) -> torch.Tensor:
    """``[N + 1]`` offsets of each sequence's first chunk among all chunks."""
    counts = _chunk_counts(prepare_lens(cu_seqlens), chunk_size)
    return F.pad(counts, (1, 0)).cumsum(-1)


__all__ = [
    "prepare_chunk_indices",
    "prepare_chunk_offsets",
    "prepare_cu_seqlens_from_lens",
    "prepare_cu_seqlens_from_mask",
    "prepare_lens",
    "prepare_lens_from_mask",
    "prepare_position_ids",
    "prepare_sequence_ids",
    "prepare_token_indices",
]
