"""``fused_recurrent_gla``: gated linear attention token by token (decoding)."""

from typing import Optional, Tuple

import torch

from myfla.ops.kernel_inputs import KernelInputs
from myfla.ops.kernels.gated_linear import recurrent_gated_linear_attention
from myfla.ops.options import pop_options

from .inputs import gla_tensors


def fused_recurrent_gla(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    gk: Optional[torch.Tensor] = None,
    gv: Optional[torch.Tensor] = None,
    scale: Optional[float] = None,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    reverse: bool = False,
    state_v_first: bool = False,
    cu_seqlens: Optional[torch.Tensor] = None,
    **kwargs,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Gated linear attention one token at a time; arguments as ``chunk_gla``, plus:

    Args:
        gk: ``[B, T, H, K]`` per-key log decays; gv: ``[B, T, H, V]`` per-value log decays
            (each optional).
        reverse: run from the last token to the first (of each sequence).
    """
    state_v_first, _ = pop_options(kwargs, state_v_first, ())
    inputs = KernelInputs.from_fla(
        gla_tensors(q, k, v, gk=gk, gv=gv), out_dtype=q.dtype, scale=scale,
        initial_state=initial_state, output_final_state=output_final_state,
        state_v_first=state_v_first, cu_seqlens=cu_seqlens,
    )  # fmt: skip
    return inputs.run(recurrent_gated_linear_attention, reverse=bool(reverse))
