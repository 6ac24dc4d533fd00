"""Gated linear attention ops (``fla.ops.gla``)."""

from .chunk import chunk_gla
from .fused_chunk import fused_chunk_gla
from .fused_recurrent import fused_recurrent_gla
from .naive import naive_recurrent_gla

__all__ = ["chunk_gla", "fused_chunk_gla", "fused_recurrent_gla", "naive_recurrent_gla"]
