"""Building blocks (``fla.modules``): short convolution, norms, LoRA, token shift, gated MLP.

The modules sit where fla 0.6.0 keeps them (``norm/``, ``causal_conv1d``); fla's older paths
(``layernorm``, ``fused_norm_gate``, ``l2norm``, ``convolution``) re-export the same names.
"""

from myfla.modules.causal_conv1d import ShortConvolution
from myfla.modules.lora import LoRA
from myfla.modules.mlp import GatedMLP
from myfla.modules.norm import (
    FusedLayerNormGated,
    FusedLayerNormSwishGate,
    FusedRMSNormGated,
    FusedRMSNormSwishGate,
    GroupNorm,
    L2Norm,
    LayerNorm,
    RMSNorm,
)

__all__ = [
    "FusedLayerNormGated",
    "FusedLayerNormSwishGate",
    "FusedRMSNormGated",
    "FusedRMSNormSwishGate",
    "GatedMLP",
    "GroupNorm",
    "L2Norm",
    "LayerNorm",
    "LoRA",
    "RMSNorm",
    "ShortConvolution",
]
