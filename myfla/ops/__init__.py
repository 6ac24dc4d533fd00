"""Pure-PyTorch ops (``fla.ops``): the op functions of the families myfla implements."""

from .gated_delta_rule import (
    chunk_gated_delta_rule,
    chunk_gdn,
    fused_recurrent_gated_delta_rule,
    fused_recurrent_gdn,
)
from .generalized_delta_rule import chunk_dplr_delta_rule, fused_recurrent_dplr_delta_rule
from .gla import chunk_gla, fused_chunk_gla, fused_recurrent_gla
from .rwkv7 import chunk_rwkv7, fused_recurrent_rwkv7

__all__ = [
    "chunk_dplr_delta_rule",
    "chunk_gated_delta_rule",
    "chunk_gdn",
    "chunk_gla",
    "chunk_rwkv7",
    "fused_chunk_gla",
    "fused_recurrent_dplr_delta_rule",
    "fused_recurrent_gated_delta_rule",
    "fused_recurrent_gdn",
    "fused_recurrent_gla",
    "fused_recurrent_rwkv7",
]
