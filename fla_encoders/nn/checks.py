"""Argument checks shared by the encoders and the model; every error names the argument."""

from typing import Optional, Sequence

import torch


def positive_int(name: str, value: object) -> int:
    """``value`` if it is an int >= 1, else a ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def choice(name: str, value: object, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``, else a ``ValueError`` naming ``name``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value  # type: ignore[return-value]


def head_dim_for(hidden_size: int, num_heads: int, head_dim: Optional[int] = None) -> int:
    """``head_dim``, or ``hidden_size // num_heads`` when it is None and ``num_heads`` divides."""
    positive_int("hidden_size", hidden_size)
    positive_int("num_heads", num_heads)
    if head_dim is not None:
        return positive_int("head_dim", head_dim)
    if hidden_size % num_heads:
        raise ValueError(
            f"num_heads={num_heads} must divide hidden_size={hidden_size} (or pass head_dim)"
        )
    return hidden_size // num_heads


def check_input(
    x: torch.Tensor, n_features: int, attention_mask: Optional[torch.Tensor] = None
) -> None:
    """``x: (B, T, n_features)`` floating, ``attention_mask: (B, T)`` or None."""
    if not isinstance(x, torch.Tensor) or x.dim() != 3 or not x.is_floating_point():
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a floating (B, T, n_features) tensor, got {shape}")
    if x.shape[-1] != n_features:
        raise ValueError(
            f"x has {x.shape[-1]} features (last dim) but the encoder was built with "
            f"n_features={n_features}"
        )
    if attention_mask is not None and tuple(attention_mask.shape) != tuple(x.shape[:2]):
        raise ValueError(
            f"attention_mask must be (B, T) = {tuple(x.shape[:2])}, "
            f"got {tuple(attention_mask.shape)}"
        )
