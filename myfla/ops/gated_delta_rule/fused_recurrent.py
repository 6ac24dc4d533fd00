"""``fused_recurrent_gated_delta_rule``: the gated delta rule token by token (decoding)."""

from typing import Optional, Tuple

import torch

from myfla.ops.kernel_inputs import KernelInputs
from myfla.ops.kernels.delta_rule import recurrent_delta_rule
from myfla.ops.options import pop_options

from .inputs import gated_delta_rule_tensors


def fused_recurrent_gated_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: Optional[torch.Tensor] = None,
    gk: Optional[torch.Tensor] = None,
    gv: Optional[torch.Tensor] = None,
    beta: Optional[torch.Tensor] = None,
    scale: Optional[float] = None,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    use_qk_l2norm_in_kernel: bool = False,
    use_gate_in_kernel: bool = False,
    A_log: Optional[torch.Tensor] = None,
    dt_bias: Optional[torch.Tensor] = None,
    use_beta_sigmoid_in_kernel: bool = False,
    allow_neg_eigval: bool = False,
    state_v_first: bool = False,
    cu_seqlens: Optional[torch.Tensor] = None,
    **kwargs,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Gated delta rule one token at a time; arguments as ``chunk_gated_delta_rule``, plus:

    Args:
        g: ``[B, T, HV]`` per-head log decays (optional here).
        gk: ``[B, T, HV, K]`` per-key log decays; gv: ``[B, T, HV, V]`` per-value log decays.
        beta: ``[B, T, HV]`` or per value ``[B, T, HV, V]``; ``None`` means 1.
    Unlike fla's kernel, this one is differentiable (autograd through the steps).
    """
    state_v_first, _ = pop_options(kwargs, state_v_first, ())
    tensors = gated_delta_rule_tensors(
        q, k, v, g, beta, gk, gv, use_qk_l2norm_in_kernel=use_qk_l2norm_in_kernel,
        use_beta_sigmoid_in_kernel=use_beta_sigmoid_in_kernel, allow_neg_eigval=allow_neg_eigval,
        use_gate_in_kernel=use_gate_in_kernel, A_log=A_log, dt_bias=dt_bias,
    )  # fmt: skip
    inputs = KernelInputs.from_fla(
        tensors, out_dtype=q.dtype, scale=scale, initial_state=initial_state,
        output_final_state=output_final_state, state_v_first=state_v_first, cu_seqlens=cu_seqlens,
    )  # fmt: skip
    return inputs.run(recurrent_delta_rule)


fused_recurrent_gdn = fused_recurrent_gated_delta_rule
