"""The norms (``fla.modules.norm``): layer, RMS and group norms, the gated norms, the L2 norm.

``myfla.modules.norm.l2norm`` is the module; its function ``l2norm`` is also ``l2_norm`` here.
"""

from myfla.modules.norm.fused_norm_gate import (
    FusedLayerNormGated,
    FusedLayerNormSwishGate,
    FusedRMSNormGated,
    FusedRMSNormSwishGate,
    layer_norm_gated,
    rms_norm_gated,
)
from myfla.modules.norm.l2norm import L2Norm, l2_norm
from myfla.modules.norm.layernorm import (
    GroupNorm,
    LayerNorm,
    RMSNorm,
    group_norm,
    layer_norm,
    rms_norm,
)

__all__ = [
    "FusedLayerNormGated",
    "FusedLayerNormSwishGate",
    "FusedRMSNormGated",
    "FusedRMSNormSwishGate",
    "GroupNorm",
    "L2Norm",
    "LayerNorm",
    "RMSNorm",
    "group_norm",
    "l2_norm",
    "layer_norm",
    "layer_norm_gated",
    "rms_norm",
    "rms_norm_gated",
]
