"""Sequence-mixing layers (fla.layers)."""
from .gated_deltanet import GatedDeltaNet

__all__ = ["GatedDeltaNet"]
