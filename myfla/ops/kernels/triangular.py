"""The inverse of a unit lower-triangular matrix ``I + L`` per chunk, by batched matrix products.

LAPACK's triangular solve runs one small matrix at a time (and has no bfloat16 kernel); chunked
kernels need the inverse of thousands of ``C x C`` ones. Blocks of ``BASE`` rows are inverted by
forward substitution, all blocks at once, then merged pairwise:
``[[T1, 0], [L21, T2]]^-1 = [[T1, 0], [-T2 L21 T1, T2]]``, two products per merge. The backward
is ``dL = -T^T dT T^T`` on the strictly lower part: two products. A ``sign`` of -1 inverts
``I - L`` without negating ``L`` first.
"""

import torch

BASE = 16


def unit_lower_inverse(strict_lower: torch.Tensor, sign: float = 1.0) -> torch.Tensor:
    """``(I + sign L)^-1``, ``L`` the strictly lower part of ``strict_lower [..., C, C]`` (what lies
    on and above the diagonal is never read, nor does it get a gradient); ``C`` a power of 2,
    ``sign`` 1 or -1."""
    return _UnitLowerInverse.apply(strict_lower, sign)


def _diagonal_blocks(x: torch.Tensor, size: int) -> torch.Tensor:
    """The ``size x size`` blocks on the diagonal of ``x [N, C, C]``: a view ``[N, C / size,
    size, size]`` (writing into it writes into ``x``)."""
    count = x.shape[-1] // size
    blocks = x.unflatten(-2, (count, size)).unflatten(-1, (count, size))
    return torch.diagonal(blocks, dim1=-4, dim2=-2).movedim(-1, -3)


def _invert(strict_lower: torch.Tensor, sign: float) -> torch.Tensor:
    """The inverse, without autograd; ``strict_lower [N, C, C]``."""
    size = strict_lower.shape[-1]
    base = min(BASE, size)
    blocks = _diagonal_blocks(strict_lower, base)
    lower = blocks.reshape(-1, base, base).tril(-1)  # the diagonal blocks, contiguous
    if sign != 1.0:
        lower.neg_()
    inv = torch.eye(base, dtype=lower.dtype, device=lower.device).repeat(lower.shape[0], 1, 1)
    for i in range(1, base):  # row i of T = e_i - L[i, :i] T[:i, :]
        inv[:, i : i + 1, :i] = -(lower[:, i : i + 1, :i] @ inv[:, :i, :i])
    inverse = strict_lower.new_zeros(strict_lower.shape)
    _diagonal_blocks(inverse, base).copy_(inv.view(blocks.shape))
    width = base
    while width < size:  # merge diagonal blocks of `width` into blocks of 2 * width
        t = _diagonal_blocks(inverse, 2 * width)
        l21 = _diagonal_blocks(strict_lower, 2 * width)[..., width:, :width]  # below: all read
        t[..., width:, :width] = (t[..., width:, width:] @ l21 @ t[..., :width, :width]).mul_(-sign)
        width *= 2
    return inverse


class _UnitLowerInverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, strict_lower, sign):
        shape = strict_lower.shape
        inverse = _invert(strict_lower.reshape((-1,) + shape[-2:]), sign).reshape(shape)
        ctx.save_for_backward(inverse)
        ctx.sign = sign
        return inverse

    @staticmethod
    def backward(ctx, grad_inverse):
        (inverse,) = ctx.saved_tensors
        transposed = inverse.mT
        return (transposed @ grad_inverse @ transposed).tril_(-1).mul_(-ctx.sign), None
