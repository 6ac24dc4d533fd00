"""Pieces shared by the chunked kernels: splitting the time axis into chunks and back."""

import torch
import torch.nn.functional as F


def host_reads_are_free(x: torch.Tensor) -> bool:
    """Whether a kernel may read values of ``x`` on the host to choose its path: on the CPU
    outside ``torch.compile`` tracing (elsewhere a read would sync the device or break the
    graph, and kernels take the path that suits every input)."""
    return x.device.type == "cpu" and not torch.compiler.is_compiling()


def fit_chunk_size(chunk_size: int, seq_len: int) -> int:
    """The chunk size to use: ``chunk_size``, or the power of 2 covering ``seq_len`` when that is
    smaller, so that short inputs are not padded to a full chunk (same result up to rounding).

    Halving by comparisons keeps a symbolic ``seq_len`` (torch.compile's dynamic shapes)
    symbolic: it guards on the bucket of lengths, not on the length.
    """
    while chunk_size > 1 and chunk_size // 2 >= seq_len:
        chunk_size //= 2
    return chunk_size


def to_chunks(x: torch.Tensor, chunk_size: int) -> torch.Tensor:
    """``[B, H, T, ...]`` -> ``[NT, B, H, C, ...]``: a chunk-major view (``T`` zero-padded up to
    ``NT * C``, a copy then). Products with a contiguous chunk-major factor first come out
    contiguous and chunk-major, so that each chunk's slice and all chunks at once are batches."""
    seq_len = x.shape[2]
    # NT from a ceiling division, not a modulo: torch.compile's dynamic shapes reason about it.
    pad = (seq_len + chunk_size - 1) // chunk_size * chunk_size - seq_len
    if pad:
        # F.pad pads trailing dims first: zeros for every dim after T, then `pad` steps on T.
        x = F.pad(x, [0, 0] * (x.dim() - 3) + [0, pad])
    return x.unflatten(2, (-1, chunk_size)).movedim(2, 0)


def flat(x: torch.Tensor) -> torch.Tensor:
    """``[..., M, N]`` -> ``[-1, M, N]``, as ``bmm`` takes them (a view when contiguous)."""
    return x.reshape((-1,) + x.shape[-2:])


def merge_chunk_major(x: torch.Tensor, seq_len: int) -> torch.Tensor:
    """``[NT, B, H, C, V]`` -> ``[B, H, T, V]``, dropping the padding: one copy, into the memory
    order ``[B, T, H, V]`` of the ops' outputs (the returned tensor is its transposed view)."""
    chunks, batch, heads, size, value_dim = x.shape
    merged = x.permute(1, 0, 3, 2, 4).reshape(batch, chunks * size, heads, value_dim)
    return merged[:, :seq_len].transpose(1, 2)
