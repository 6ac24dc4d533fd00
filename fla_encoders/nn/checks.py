"""Argument checks shared by the encoders and the model; every error names the argument."""

from typing import Dict, Optional, Sequence

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
    """A ``ValueError`` naming ``x`` or ``attention_mask`` unless ``x: (B, T, n_features)`` is
    floating with ``T >= 1`` and finite at its tokens, and ``attention_mask`` is None or a
    ``(B, T)`` left-padding mask: per row zeros (padding), then ones (tokens), at least one.

    The values are checked with one reduction, so one device sync per call."""
    if not isinstance(x, torch.Tensor) or x.dim() != 3 or not x.is_floating_point():
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a floating (B, T, n_features) tensor, got {shape}")
    if x.shape[-1] != n_features:
        raise ValueError(
            f"x has {x.shape[-1]} features (last dim) but the encoder was built with "
            f"n_features={n_features}"
        )
    if x.shape[1] == 0:
        raise ValueError(f"x has no time steps, shape {tuple(x.shape)}: a window needs one")
    if attention_mask is not None and tuple(attention_mask.shape) != tuple(x.shape[:2]):
        raise ValueError(
            f"attention_mask must be (B, T) = {tuple(x.shape[:2])}, "
            f"got {tuple(attention_mask.shape)}"
        )
    faults = {} if attention_mask is None else mask_faults(attention_mask)
    faults["x"] = bad_steps(x, attention_mask)
    if bool(torch.stack([fault.any() for fault in faults.values()]).any()):
        raise ValueError(fault_message(faults, attention_mask))


def mask_faults(attention_mask: torch.Tensor) -> Dict[str, torch.Tensor]:
    """Where ``attention_mask: (B, T)`` is not left padding: ``odd`` values other than 0 and 1
    ``(B, T)``, a token followed by padding ``right`` ``(B, T - 1)``, rows ``empty`` of tokens
    ``(B, 1)``."""
    tokens = attention_mask == 1
    return {
        "odd": ~(tokens | (attention_mask == 0)),
        "right": tokens[:, :-1] & ~tokens[:, 1:],
        "empty": ~tokens[:, -1:],
    }


def bad_steps(x: torch.Tensor, attention_mask: Optional[torch.Tensor]) -> torch.Tensor:
    """``(B, T)`` bool: a token (any step without a mask) where ``x: (B, T, F)`` is not finite."""
    bad = ~torch.isfinite(x).all(-1)
    return bad if attention_mask is None else bad & (attention_mask == 1)


def fault_message(faults: Dict[str, torch.Tensor], attention_mask: Optional[torch.Tensor]) -> str:
    """The first fault found (in the order of ``faults``: ``mask_faults``, then ``x``), in words."""
    name = next(name for name, fault in faults.items() if bool(fault.any()))
    b, t = torch.nonzero(faults[name])[0].tolist()
    if name == "odd":
        value = attention_mask[b, t].item()  # type: ignore[index]
        return f"attention_mask must hold 0 (padding) or 1 (token) only, got {value!r} at row {b}"
    if name == "right":
        return (
            f"attention_mask must be left padding (per row zeros, then ones): row {b} has a "
            f"token at step {t} followed by padding; pad on the left"
        )
    if name == "empty":
        return f"attention_mask row {b} has no token: every sequence needs at least one"
    rows = int(faults["x"].any(-1).sum())
    return (
        f"x holds NaN or Inf at a token (not padding) of {rows} sequence(s), first at row {b}, "
        f"step {t}: fill missing values before the model"
    )


def zero_padding(x: torch.Tensor, attention_mask: Optional[torch.Tensor]) -> torch.Tensor:
    """``x: (B, T, F)`` with its padded steps set to 0 by selection, so that nothing they held
    (NaN, Inf) reaches a token; ``x`` itself without a mask."""
    if attention_mask is None:
        return x
    return x.masked_fill(~(attention_mask == 1)[..., None], 0.0)


def prepare_input(
    x: torch.Tensor, n_features: int, attention_mask: Optional[torch.Tensor] = None
) -> torch.Tensor:
    """``x`` checked (``check_input``), its padded steps zeroed (``zero_padding``)."""
    check_input(x, n_features, attention_mask)
    return zero_padding(x, attention_mask)
