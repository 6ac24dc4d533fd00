"""``fused_chunk_gla``: in fla 0.6.0 a deprecated name that raises; here it is ``chunk_gla``."""

from .chunk import chunk_gla

fused_chunk_gla = chunk_gla
