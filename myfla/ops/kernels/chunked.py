"""Pieces shared by the chunked kernels: splitting the time axis into chunks and back, the
unit-triangular (WY) solve inside each chunk and the chunk-to-chunk scan of the state."""

from typing import Optional, Tuple

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


def split_chunks(x: torch.Tensor, chunk_size: int) -> torch.Tensor:
    """``[B, H, T, ...]`` -> ``[B, H, NT, C, ...]``, zero-padding ``T`` up to ``NT * C``."""
    seq_len = x.shape[2]
    # NT from a ceiling division, not a modulo: torch.compile's dynamic shapes reason about it.
    pad = (seq_len + chunk_size - 1) // chunk_size * chunk_size - seq_len
    if pad:
        # F.pad pads trailing dims first: zeros for every dim after T, then `pad` steps on T.
        x = F.pad(x, [0, 0] * (x.dim() - 3) + [0, pad])
    return x.reshape(x.shape[:2] + (-1, chunk_size) + x.shape[3:])


def merge_chunks(x: torch.Tensor, seq_len: int) -> torch.Tensor:
    """``[B, H, NT, C, ...]`` -> ``[B, H, T, ...]``, dropping the padding."""
    return x.reshape(x.shape[:2] + (-1,) + x.shape[4:])[:, :, :seq_len]


def batched(x: torch.Tensor) -> torch.Tensor:
    """``[..., M, N]`` -> ``[-1, M, N]``, as ``bmm`` and ``baddbmm`` take them."""
    return x.reshape((-1,) + x.shape[-2:])


def solve_unit_lower(strict_lower: torch.Tensor, rhs: torch.Tensor) -> torch.Tensor:
    """``(I + L)^-1 rhs`` for every chunk, ``L`` the strictly lower part of ``strict_lower``.

    ``strict_lower: [..., C, C]`` (what lies on and above its diagonal is never read),
    ``rhs: [..., C, N]``. Posed as ``X^T (I + L)^T = rhs^T``, so that LAPACK takes both
    row-major operands as they are (column-major transposes) and returns a row-major solution.
    """
    return torch.linalg.solve_triangular(
        strict_lower.mT, rhs.mT, upper=True, left=False, unitriangular=True
    ).mT


def scan_chunks(
    state: torch.Tensor,
    u_local: torch.Tensor,
    w: torch.Tensor,
    k_end: torch.Tensor,
    decay_end: torch.Tensor,
    kv_end: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The sequential part of the chunked delta rules: carry the state from chunk to chunk.

    A chunk entering with state ``S`` reads ``u = u_local + w S`` and leaves
    ``decay_end * S + k_end^T u (+ kv_end)``. Shapes: ``state: [B, H, K, V]``,
    ``u_local: [B, H, NT, C, V]``, ``w, k_end: [B, H, NT, C, K]``, ``decay_end: [B, H, NT, K, 1]``
    or ``[B, H, NT, 1, 1]``, ``kv_end: [B, H, NT, K, V]``. Returns the states entering the
    chunks ``[B, H, NT, K, V]``, ``u: [B, H, NT, C, V]`` and the final state ``[B, H, K, V]``.
    """
    batch, heads, key_dim, value_dim = state.shape

    def per_chunk(x: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
        """``[B, H, NT, ...]`` -> a view ``[NT, B * H, ...]``."""
        return None if x is None else x.flatten(0, 1).transpose(0, 1)

    u_local, w, k_end, decay_end, kv_end = (
        per_chunk(x) for x in (u_local, w, k_end.mT, decay_end, kv_end)
    )
    state = state.reshape(batch * heads, key_dim, value_dim)
    starts, reads = [], []
    for n in range(len(w)):
        u = torch.baddbmm(u_local[n], w[n], state)
        starts.append(state)
        reads.append(u)
        kept = decay_end[n] * state if kv_end is None else kv_end[n].addcmul(decay_end[n], state)
        state = torch.baddbmm(kept, k_end[n], u)
    shape = (batch, heads, len(w))
    return (
        torch.stack(starts, dim=1).reshape(shape + starts[0].shape[-2:]),
        torch.stack(reads, dim=1).reshape(shape + reads[0].shape[-2:]),
        state.reshape(batch, heads, key_dim, value_dim),
    )
