"""Packed variable-length sequences (``fla.ops.utils``): fla's index and packing helpers, and the
checks and padded batch form that the ops use."""

from .index import (
    prepare_chunk_indices,
    prepare_chunk_offsets,
    prepare_cu_seqlens_from_lens,
    prepare_cu_seqlens_from_mask,
    prepare_lens,
    prepare_lens_from_mask,
    prepare_position_ids,
    prepare_sequence_ids,
    prepare_token_indices,
)
from .pack import pack_sequence, unpack_sequence
from .varlen import check_cu_seqlens, pad_packed, padded_index, to_padded, unpad_packed

__all__ = [
    "check_cu_seqlens",
    "pack_sequence",
    "pad_packed",
    "padded_index",
    "prepare_chunk_indices",
    "prepare_chunk_offsets",
    "prepare_cu_seqlens_from_lens",
    "prepare_cu_seqlens_from_mask",
    "prepare_lens",
    "prepare_lens_from_mask",
    "prepare_position_ids",
    "prepare_sequence_ids",
    "prepare_token_indices",
    "to_padded",
    "unpack_sequence",
    "unpad_packed",
]
