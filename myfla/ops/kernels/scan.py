"""The sequential part of the chunked kernels, forward and backward by hand: the state carried
from chunk to chunk.

A chunk ``n`` entering with state ``S_n`` reads ``u_n = U_n + W_n S_n`` (the delta rules'
corrected values; GLA reads nothing) and leaves ``S_{n+1} = d_n * S_n + E_n^T u_n + KV_n``
(each term where given). Tensors are chunk-major, ``[NT, N, ...]`` with ``N`` the sequences times
heads, so that every chunk's slice is contiguous for the batched products. The loop writes into
preallocated tensors; the backward is the reverse loop, with ``L`` the gradient reaching
``S_{n+1}``:

    gu = g(u_n) + E_n L,  g(U_n) = gu,  g(W_n) = gu S_n^T,  g(E_n) = u_n L^T,  g(KV_n) = L,
    g(d_n) = sum(L * S_n),  L <- d_n * L + W_n^T gu + g(S_n).
"""

from typing import Optional, Tuple

import torch


def scan_chunks(
    state: torch.Tensor,
    decay: torch.Tensor,
    kv: Optional[torch.Tensor] = None,
    u_local: Optional[torch.Tensor] = None,
    w: Optional[torch.Tensor] = None,
    e: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[torch.Tensor], torch.Tensor]:
    """Carry ``state [N, K, V]`` through the chunks; every term contiguous and chunk-major.

    ``decay``: ``d``, ``[NT, N, K, 1]`` or ``[NT, N, 1, 1]``; ``kv``: ``KV``, ``[NT, N, K, V]``;
    ``u_local``: ``U``, ``[NT, N, C, V]``; ``w``, ``e``: ``W``, ``E``, ``[NT, N, C, K]`` (the last
    three together or not at all). Returns the states entering the chunks ``[NT, N, K, V]``, the
    reads ``u [NT, N, C, V]`` (``None`` without ``u_local``) and the final state ``[N, K, V]``.
    """
    return _ChunkScan.apply(state, decay, kv, u_local, w, e)


def _reduce_to(x: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """``x [N, K, V]`` summed where ``shape`` (``[N, K, 1]`` or ``[N, 1, 1]``) is 1."""
    return x.sum(tuple(d for d in (1, 2) if shape[d] == 1), keepdim=True)


class _ChunkScan(torch.autograd.Function):
    @staticmethod
    def forward(ctx, state, decay, kv, u_local, w, e):
        chunks = decay.shape[0]
        starts = state.new_empty((chunks,) + state.shape)
        reads = None if u_local is None else torch.empty_like(u_local)
        current = state
        for n in range(chunks):
            starts[n] = current
            if kv is None:
                following = decay[n] * current
            else:
                following = torch.addcmul(kv[n], decay[n], current)
            if reads is not None:
                torch.baddbmm(u_local[n], w[n], current, out=reads[n])
                following.baddbmm_(e[n].mT, reads[n])
            current = following
        ctx.save_for_backward(starts, reads, decay, w, e)
        return starts, reads, current

    @staticmethod
    def backward(ctx, grad_starts, grad_reads, grad_final):
        starts, reads, decay, w, e = ctx.saved_tensors
        need_state, need_decay, need_kv, need_u, need_w, need_e = ctx.needs_input_grad
        grad_decay = torch.empty_like(decay) if need_decay else None
        grad_kv = torch.empty_like(starts) if need_kv else None
        grad_u = torch.empty_like(reads) if reads is not None and need_u else None
        grad_w = torch.empty_like(w) if w is not None and need_w else None
        grad_e = torch.empty_like(e) if e is not None and need_e else None
        later = torch.zeros_like(starts[0]) if grad_final is None else grad_final.clone()
        for n in reversed(range(decay.shape[0])):
            current = starts[n]
            if grad_decay is not None:
                grad_decay[n] = _reduce_to(later * current, decay[n].shape)
            if grad_kv is not None:
                grad_kv[n] = later
            earlier = later * decay[n]
            if reads is not None:
                read_grad = torch.bmm(e[n], later)
                if grad_reads is not None:
                    read_grad += grad_reads[n]
                if grad_u is not None:
                    grad_u[n] = read_grad
                if grad_w is not None:
                    torch.bmm(read_grad, current.mT, out=grad_w[n])
                if grad_e is not None:
                    torch.bmm(reads[n], later.mT, out=grad_e[n])
                earlier.baddbmm_(w[n].mT, read_grad)
            if grad_starts is not None:
                earlier += grad_starts[n]
            later = earlier
        return later, grad_decay, grad_kv, grad_u, grad_w, grad_e
