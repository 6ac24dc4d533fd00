"""RWKV7 ops (``fla.ops.rwkv7``): the DPLR state update and the layer's element-wise helpers."""

from .chunk import chunk_rwkv7
from .fused_addcmul import fused_addcmul_rwkv7
from .fused_k_update import fused_k_rwkv7
from .fused_recurrent import fused_mul_recurrent_rwkv7, fused_recurrent_rwkv7
from .gate_output_correction import gate_output_correction

__all__ = [
    "chunk_rwkv7",
    "fused_addcmul_rwkv7",
    "fused_k_rwkv7",
    "fused_mul_recurrent_rwkv7",
    "fused_recurrent_rwkv7",
    "gate_output_correction",
]
