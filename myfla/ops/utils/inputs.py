"""Argument checks and the canonical head-first form shared by the op front-ends.

Public layout (fla's): ``[B, T, H, ...]`` tensors, states ``[N, H, K, V]`` (``[N, H, V, K]`` with
``state_v_first``), ``N`` the batch size or the number of packed sequences in ``cu_seqlens``.
Kernels take head-first ``[B, H, T, ...]`` tensors and key-first states.
"""

import warnings
from numbers import Real
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch

from .varlen import check_cu_seqlens, to_padded, unpad_packed

Kernel = Callable[..., Tuple[torch.Tensor, torch.Tensor]]
CHUNK_SIZES = (16, 32, 64)


def check_tensor(name: str, x: torch.Tensor, shape: Sequence[Optional[int]], what: str) -> None:
    """``x`` must be a floating tensor of ``shape`` (``None`` entries match any size)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != len(shape) or any(n is not None and n != m for n, m in zip(shape, x.shape)):
        expected = ["?" if n is None else n for n in shape]
        raise ValueError(f"{name} must have shape {what} = {expected}, got {list(x.shape)}")
    if not x.dtype.is_floating_point:
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")


def check_scale(scale: Optional[float]) -> None:
    if scale is not None and (not isinstance(scale, Real) or isinstance(scale, bool)):
        raise TypeError(f"scale must be a real number or None, got {type(scale).__name__}")


def chunk_size_option(chunk_size: Optional[int], cp_context: object) -> int:
    """The chunk size of a chunk op (``None``: 64); refuses context parallelism."""
    if cp_context is not None:
        raise NotImplementedError("cp_context (context parallelism) is not supported by myfla")
    if chunk_size is None:
        return 64
    if chunk_size not in CHUNK_SIZES:
        raise ValueError(f"chunk_size must be one of {CHUNK_SIZES} (or None), got {chunk_size}")
    return chunk_size


def pop_options(kwargs: dict, state_v_first: bool, allowed: Tuple[str, ...]) -> Tuple[bool, dict]:
    """Handle fla's deprecated/extra keyword arguments; reject unknown ones by name."""
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


def num_sequences(cu_seqlens: Optional[torch.Tensor], batch: int, seq_len: int) -> int:
    """``N``: the batch size, or the number of packed sequences (``cu_seqlens`` checked)."""
    if cu_seqlens is None:
        return batch
    check_cu_seqlens(cu_seqlens, batch, seq_len)
    return cu_seqlens.numel() - 1


def check_state(
    initial_state: Optional[torch.Tensor],
    num_seqs: int,
    heads: int,
    key_dim: int,
    value_dim: int,
    state_v_first: bool,
) -> None:
    if initial_state is None:
        return
    layout = (value_dim, key_dim) if state_v_first else (key_dim, value_dim)
    check_tensor(
        "initial_state",
        initial_state,
        (num_seqs, heads) + layout,
        "[N, H, V, K]" if state_v_first else "[N, H, K, V]",
    )


def compute_dtype(x: torch.Tensor) -> torch.dtype:
    """float64 for float64 inputs, else float32 (as fla's kernels compute half inputs)."""
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def run_head_first(
    kernel: Kernel,
    tensors: Dict[str, Optional[torch.Tensor]],
    initial_state: Optional[torch.Tensor],
    output_final_state: bool,
    state_v_first: bool,
    cu_seqlens: Optional[torch.Tensor],
    out_dtype: torch.dtype,
    **options,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Run ``kernel(**head-first tensors, initial_state=, **options)`` on checked inputs.

    ``tensors``: ``[B, T, H, ...]`` in the compute dtype (``None`` entries pass as ``None``);
    packed inputs run as a right-padded batch, whose padding must be identity steps for the
    kernel, and the kernel always gets an initial state (zeros where none is given). Returns
    ``o: [B, T, H, V]`` in ``out_dtype`` and the final state in fla's layout (compute dtype) or
    ``None``. Inputs with no time step never reach the kernel: the output is empty and the final
    state is the initial one.
    """
    dtype = next(t for t in tensors.values() if t is not None).dtype
    if initial_state is not None:
        initial_state = initial_state.to(dtype)
        if state_v_first:
            initial_state = initial_state.transpose(-1, -2)
    names = list(tensors)
    values = [tensors[name] for name in names]
    index = None
    if cu_seqlens is not None:
        values, index = to_padded(*values, cu_seqlens=cu_seqlens)
    head_first = {n: None if t is None else t.transpose(1, 2) for n, t in zip(names, values)}
    k, v = head_first["k"], head_first["v"]
    if initial_state is None:
        initial_state = k.new_zeros(k.shape[:2] + (k.shape[-1], v.shape[-1]))
    if v.shape[2] == 0:
        o, final_state = v.new_zeros(v.shape), initial_state
    else:
        o, final_state = kernel(**head_first, initial_state=initial_state, **options)
    o = o.transpose(1, 2)
    if index is not None:
        o = unpad_packed(o, index)
    o = o.contiguous().to(out_dtype)
    if not output_final_state:
        return o, None
    if state_v_first:
        final_state = final_state.transpose(-1, -2)
    return o, final_state.contiguous()
