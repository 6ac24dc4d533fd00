"""Shared helpers of the ops: packed sequences."""

from .varlen import check_cu_seqlens, pad_packed, padded_index, to_padded, unpad_packed

__all__ = ["check_cu_seqlens", "pad_packed", "padded_index", "to_padded", "unpad_packed"]
