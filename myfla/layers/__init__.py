"""Sequence-mixing layers (fla.layers)."""
from .gated_deltanet import GatedDeltaNet
from .rwkv7 import RWKV7Attention

__all__ = ["GatedDeltaNet", "RWKV7Attention"]
