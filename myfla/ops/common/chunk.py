"""Splitting the time axis into chunks, shared by the chunked ops."""

import torch
import torch.nn.functional as F


def fit_chunk_size(chunk_size: int, seq_len: int) -> int:
    """The chunk size to use: ``chunk_size``, or the power of 2 covering ``seq_len`` when that is
    smaller, so that short inputs are not padded to a full chunk (same result up to rounding)."""
    return min(chunk_size, 1 << max(seq_len - 1, 0).bit_length())


def split_chunks(x: torch.Tensor, chunk_size: int) -> torch.Tensor:
    """``[B, H, T, ...]`` -> ``[B, H, NT, C, ...]``, zero-padding ``T`` up to ``NT * C``."""
    seq_len = x.shape[2]
    pad = -seq_len % chunk_size
    if pad:
        # F.pad pads trailing dims first: zeros for every dim after T, then `pad` steps on T.
        x = F.pad(x, [0, 0] * (x.dim() - 3) + [0, pad])
    return x.reshape(x.shape[:2] + (-1, chunk_size) + x.shape[3:])


def merge_chunks(x: torch.Tensor, seq_len: int) -> torch.Tensor:
    """``[B, H, NT, C, ...]`` -> ``[B, H, T, ...]``, dropping the padding."""
    return x.reshape(x.shape[:2] + (-1,) + x.shape[4:])[:, :, :seq_len]


def decay_matrix(g_cum: torch.Tensor, strict: bool = False) -> torch.Tensor:
    """``exp(g_i - g_j)`` for ``j <= i`` (``j < i`` if ``strict``) and 0 elsewhere.

    ``g_cum``: ``[..., C]`` cumulative log decays inside each chunk; returns ``[..., C, C]``.
    """
    size = g_cum.shape[-1]
    keep = torch.ones(size, size, dtype=torch.bool, device=g_cum.device).tril(-1 if strict else 0)
    diff = g_cum.unsqueeze(-1) - g_cum.unsqueeze(-2)
    # Mask before exp: above the diagonal the difference is positive and may overflow.
    return diff.masked_fill_(~keep, float("-inf")).exp_()
