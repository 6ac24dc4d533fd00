"""Sequence-mixing layers (fla.layers)."""

from .gated_deltanet import GatedDeltaNet
from .gla import GatedLinearAttention
from .rwkv7 import RWKV7Attention

__all__ = ["GatedDeltaNet", "GatedLinearAttention", "RWKV7Attention"]
