"""fla's keyword options that several op front ends share, and the ones myfla refuses."""

import warnings
from typing import Optional, Tuple

from myfla._checks import check_choice, check_optional_real

CHUNK_SIZES = (16, 32, 64)


def pop_options(kwargs: dict, state_v_first: bool, allowed: Tuple[str, ...]) -> Tuple[bool, dict]:
    """``(state_v_first, kwargs)`` from an op's extra keyword arguments.

    Refuses ``head_first``, turns the deprecated ``transpose_state_layout`` into
    ``state_v_first`` and rejects any name not in ``allowed``.
    """
    if "head_first" in kwargs:
        raise ValueError(
            "head_first is not supported: inputs must be [B, T, H, ...] as in fla 0.6.0"
        )
    if "transpose_state_layout" in kwargs:
        if state_v_first:
            raise ValueError(
                "pass either state_v_first or the deprecated transpose_state_layout, not both"
            )
        warnings.warn(
            "transpose_state_layout is deprecated; use state_v_first",
            DeprecationWarning,
            stacklevel=3,
        )
        state_v_first = bool(kwargs.pop("transpose_state_layout"))
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise TypeError(f"unexpected keyword arguments: {', '.join(unknown)}")
    return state_v_first, kwargs


def chunk_size_option(chunk_size: Optional[int], cp_context: object) -> int:
    """The chunk size of a chunk op (``None``: 64); refuses context parallelism."""
    if cp_context is not None:
        raise NotImplementedError("cp_context (context parallelism) is not supported by myfla")
    if chunk_size is None:
        return 64
    check_choice("chunk_size", chunk_size, CHUNK_SIZES)
    return chunk_size


def decay_floor_option(lower_bound: Optional[float]) -> Optional[float]:
    """fla's ``lower_bound`` of the log decays, which the caller guarantees; only a negative
    bound bounds a decay (as in fla, a non-negative one licenses nothing)."""
    check_optional_real("lower_bound", lower_bound)
    return lower_bound if lower_bound is not None and lower_bound < 0 else None
