"""``fused_recurrent_dplr_delta_rule``: the DPLR delta rule token by token (decoding)."""

from typing import Optional, Tuple

import torch

from myfla.ops.kernel_inputs import KernelInputs, check_qkv
from myfla.ops.kernels.dplr import recurrent_dplr_delta_rule
from myfla.ops.options import refuse_reverse


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

    Unlike fla's kernel, this one is differentiable (autograd through the steps).
    """
    refuse_reverse(reverse)
    check_qkv(q, k, v, a=a, b=b, gk=gk)
    inputs = KernelInputs.from_fla(
        dict(q=q, k=k, v=v, a=a, b=b, gk=gk), out_dtype=q.dtype, scale=scale,
        initial_state=initial_state, output_final_state=output_final_state, cu_seqlens=cu_seqlens,
    )  # fmt: skip
    return inputs.run(recurrent_dplr_delta_rule)
