"""``fused_recurrent_dplr_delta_rule``: the DPLR delta rule token by token (decoding)."""

from typing import Optional, Tuple

import torch

from myfla.ops.kernel_inputs import KernelInputs, check_qkv
from myfla.ops.kernels.dplr import recurrent_dplr_delta_rule
from myfla.ops.utils.reverse import time_reversed


def fused_recurrent_dplr_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    gk: torch.Tensor,
    scale: Optional[float] = None,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    reverse: bool = False,
    cu_seqlens: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """The DPLR delta rule one token at a time; arguments as ``chunk_dplr_delta_rule``.

    ``reverse``: each sequence runs from its last token to its first, as fla's kernel does.
    Unlike fla's kernel, this one is differentiable (autograd through the steps).
    """
    check_qkv(q, k, v, a=a, b=b, gk=gk)
    if reverse:
        q, k, v, a, b, gk = (time_reversed(x, cu_seqlens) for x in (q, k, v, a, b, gk))
    inputs = KernelInputs.from_fla(
        dict(q=q, k=k, v=v, a=a, b=b, gk=gk), out_dtype=q.dtype, scale=scale,
        initial_state=initial_state, output_final_state=output_final_state, cu_seqlens=cu_seqlens,
    )  # fmt: skip
    o, state = inputs.run(recurrent_dplr_delta_rule)
    return (time_reversed(o, cu_seqlens) if reverse else o), state
