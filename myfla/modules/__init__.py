"""Building blocks of the layers: short convolution, norms, L2 norm (fla.modules).

fla 0.6.0 keeps these in the packages ``fla.modules.norm`` and ``fla.modules.causal_conv1d`` and
aliases the older paths (``fla.modules.layernorm``, ``.fused_norm_gate``, ``.l2norm``,
``.convolution``); here the older paths are the real modules and the package paths are aliases,
so both kinds of import work.
"""
from __future__ import annotations

import sys
from types import ModuleType

from myfla.modules import convolution, fused_norm_gate, l2norm, layernorm
from myfla.modules.convolution import ShortConvolution
from myfla.modules.fused_norm_gate import (
    FusedLayerNormGated,
    FusedLayerNormSwishGate,
    FusedRMSNormGated,
    FusedRMSNormSwishGate,
)
from myfla.modules.l2norm import L2Norm
from myfla.modules.layernorm import GroupNorm, LayerNorm, RMSNorm
from myfla.modules.lora import LoRA


def _alias(name: str, module: ModuleType) -> None:
    """Make ``myfla.modules.<name>`` import as ``module``."""
    sys.modules[f"{__name__}.{name}"] = module
    parent, _, child = f"{__name__}.{name}".rpartition(".")
    setattr(sys.modules[parent], child, module)


norm = ModuleType(f"{__name__}.norm", "Alias package of the norm modules (fla.modules.norm).")
norm.__path__ = []
for _module in (layernorm, fused_norm_gate, l2norm):
    for _symbol in _module.__all__:
        setattr(norm, _symbol, getattr(_module, _symbol))
norm.__all__ = sorted(set(layernorm.__all__ + fused_norm_gate.__all__ + l2norm.__all__))
_alias("norm", norm)
_alias("norm.layernorm", layernorm)
_alias("norm.fused_norm_gate", fused_norm_gate)
_alias("norm.l2norm", l2norm)
_alias("causal_conv1d", convolution)

__all__ = [
    "FusedLayerNormGated",
    "FusedLayerNormSwishGate",
    "FusedRMSNormGated",
    "FusedRMSNormSwishGate",
    "GroupNorm",
    "L2Norm",
    "LayerNorm",
    "LoRA",
    "RMSNorm",
    "ShortConvolution",
]
