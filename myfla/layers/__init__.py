"""Sequence-mixing layers (fla.layers)."""
