"""Packed variable-length sequences (``fla.ops.utils``): their checks and padded batch form."""

from .varlen import check_cu_seqlens, pad_packed, padded_index, to_padded, unpad_packed

__all__ = ["check_cu_seqlens", "pad_packed", "padded_index", "to_padded", "unpad_packed"]
