"""Packed variable-length sequences (``cu_seqlens``) and their padded batch form.

Packed inputs are ``[1, T, ...]`` with sequence ``i`` at ``cu_seqlens[i]:cu_seqlens[i + 1]``.
The recurrent ops run them as a right-padded batch ``[N, L, ...]`` (``L`` the longest length);
ops make the padded steps identity steps, so the state after them is the sequence's final state.
"""

from typing import List, Optional, Tuple

import torch


def check_cu_seqlens(cu_seqlens: torch.Tensor, batch_size: int, seq_len: int) -> List[int]:
    """The offsets as ints; ``ValueError``/``TypeError`` unless they describe packed ``[1, T]``.

    Empty sequences (equal neighbouring offsets) are allowed.
    """
    if not isinstance(cu_seqlens, torch.Tensor):
        raise TypeError(f"cu_seqlens must be a torch.Tensor, got {type(cu_seqlens).__name__}")
    if (
        cu_seqlens.dtype.is_floating_point
        or cu_seqlens.dtype.is_complex
        or cu_seqlens.dtype == torch.bool
    ):
        raise TypeError(f"cu_seqlens must hold integers, got dtype {cu_seqlens.dtype}")
    if cu_seqlens.dim() != 1 or cu_seqlens.numel() < 2:
        raise ValueError(
            "cu_seqlens must be 1-D with at least 2 offsets [0, ..., T], "
            f"got shape {tuple(cu_seqlens.shape)}"
        )
    if batch_size != 1:
        raise ValueError(
            f"cu_seqlens requires packed inputs with batch size 1, got batch size {batch_size}; "
            "flatten the sequences into one row first"
        )
    offsets = cu_seqlens.tolist()
    if offsets[0] != 0:
        raise ValueError(f"cu_seqlens must start at 0, got {offsets[0]}")
    if any(b < a for a, b in zip(offsets[:-1], offsets[1:])):
        raise ValueError(f"cu_seqlens must be non-decreasing, got {offsets}")
    if offsets[-1] != seq_len:
        raise ValueError(
            f"cu_seqlens must end at the sequence length T={seq_len}, got {offsets[-1]}"
        )
    return offsets


def padded_index(cu_seqlens: torch.Tensor) -> Tuple[torch.Tensor, int]:
    """Flat positions ``n * L + t`` of the packed tokens in the padded ``[N, L]`` grid; ``L``."""
    lens = torch.diff(cu_seqlens).long()
    max_len = int(lens.max())
    seq_id = torch.repeat_interleave(torch.arange(len(lens), device=lens.device), lens)
    pos = torch.arange(int(cu_seqlens[-1]), device=lens.device) - cu_seqlens.long()[seq_id]
    return seq_id * max_len + pos, max_len


def pad_packed(x: torch.Tensor, index: torch.Tensor, num_seqs: int, max_len: int) -> torch.Tensor:
    """``[1, T, ...]`` packed -> ``[N, L, ...]`` right-padded with zeros (differentiable)."""
    out = x.new_zeros((num_seqs * max_len,) + tuple(x.shape[2:]))
    out = out.index_copy(0, index, x[0])
    return out.view((num_seqs, max_len) + tuple(x.shape[2:]))


def unpad_packed(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``[N, L, ...]`` right-padded -> ``[1, T, ...]`` packed (differentiable)."""
    return x.reshape((-1,) + tuple(x.shape[2:])).index_select(0, index).unsqueeze(0)


def to_padded(*tensors: Optional[torch.Tensor], cu_seqlens: torch.Tensor):
    """Pad each packed tensor (``None`` passes through); also returns the unpad ``index``."""
    index, max_len = padded_index(cu_seqlens)
    num_seqs = cu_seqlens.numel() - 1
    padded = tuple(None if t is None else pad_packed(t, index, num_seqs, max_len) for t in tensors)
    return padded, index
