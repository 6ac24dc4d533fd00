"""RWKV7's state update token by token: ``fused_recurrent_rwkv7``, ``fused_mul_recurrent_rwkv7``."""

from typing import Optional, Tuple

import torch

from myfla._checks import check_float_tensor
from myfla.ops.kernel_inputs import KernelInputs, check_qkv
from myfla.ops.kernels.dplr import recurrent_dplr_delta_rule
from myfla.ops.utils.reverse import time_reversed


def fused_recurrent_rwkv7(
    r: torch.Tensor,
    w: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    scale: Optional[float] = None,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = True,
    cu_seqlens: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """As ``chunk_rwkv7``, one token at a time; ``scale`` defaults to ``K ** -0.5`` here.

    Unlike fla's kernel, this one is differentiable (autograd through the steps).
    """
    check_qkv(r, k, v, ("r", "k", "v"), a=a, b=b, w=w)
    inputs = KernelInputs.from_fla(  # the DPLR kernel, q = r and gk = w
        dict(q=r, k=k, v=v, a=a, b=b, gk=w), out_dtype=r.dtype, scale=scale,
        initial_state=initial_state, output_final_state=output_final_state, cu_seqlens=cu_seqlens,
    )  # fmt: skip
    return inputs.run(recurrent_dplr_delta_rule)


def fused_mul_recurrent_rwkv7(
    r: torch.Tensor,
    w: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    kk: torch.Tensor,
    a: torch.Tensor,
    scale: float = 1.0,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    reverse: bool = False,
    cu_seqlens: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """RWKV7's decoding form: the low-rank pair is ``(-kk, kk * a)``; ``kk, a: [B, T, H, K]``.

    Other arguments as ``fused_recurrent_rwkv7`` (``scale`` defaults to 1 here); ``reverse``:
    each sequence runs from its last token to its first, as fla's kernel does.
    """
    check_float_tensor("kk", kk, r.shape, "[B, T, H, K] as r")
    check_float_tensor("a", a, r.shape, "[B, T, H, K] as r")
    inputs = (r, w, k, v, -kk, kk * a)
    if reverse:
        inputs = tuple(time_reversed(x, cu_seqlens) for x in inputs)
    o, state = fused_recurrent_rwkv7(
        *inputs, scale=scale, initial_state=initial_state,
        output_final_state=output_final_state, cu_seqlens=cu_seqlens,
    )  # fmt: skip
    return (time_reversed(o, cu_seqlens) if reverse else o), state
