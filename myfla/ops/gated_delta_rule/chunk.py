"""``chunk_gated_delta_rule``: the gated delta rule computed chunk by chunk (training, prefill)."""

from typing import Optional, Tuple

import torch

from myfla.ops.kernel_inputs import KernelInputs
from myfla.ops.kernels.delta_rule import chunk_delta_rule
from myfla.ops.options import chunk_size_option, pop_options

from .inputs import gated_delta_rule_tensors


def chunk_gated_delta_rule(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    beta: torch.Tensor,
    scale: Optional[float] = None,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    use_qk_l2norm_in_kernel: bool = False,
    use_beta_sigmoid_in_kernel: bool = False,
    allow_neg_eigval: bool = False,
    state_v_first: bool = False,
    cu_seqlens: Optional[torch.Tensor] = None,
    cu_seqlens_cpu: Optional[torch.Tensor] = None,
    chunk_indices: Optional[torch.Tensor] = None,
    cp_context: object = None,
    **kwargs,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Gated delta rule over chunks of ``chunk_size`` (16, 32 or 64; default 64) tokens.

    Args:
        q, k: ``[B, T, H, K]``; v: ``[B, T, HV, V]`` (grouped value heads when ``HV > H``).
        g: ``[B, T, HV]`` log decays, or the raw gate when ``use_gate_in_kernel=True`` (then
            ``g = -exp(A_log) * softplus(g + dt_bias)``; ``A_log``, ``dt_bias``: ``[HV]``).
        beta: ``[B, T, HV]``; logits when ``use_beta_sigmoid_in_kernel`` (times 2 with
            ``allow_neg_eigval``).
        initial_state: ``[N, HV, K, V]`` (``[N, HV, V, K]`` with ``state_v_first``), ``N`` the
            batch size or the number of packed sequences in ``cu_seqlens``.
    Returns:
        ``o: [B, T, HV, V]`` and the final state (layout as ``initial_state``) or ``None``.
    ``cu_seqlens_cpu`` and ``chunk_indices`` are accepted for fla compatibility and not needed.
    """
    state_v_first, options = pop_options(
        kwargs, state_v_first, ("chunk_size", "use_gate_in_kernel", "A_log", "dt_bias")
    )
    chunk_size = chunk_size_option(options.get("chunk_size"), cp_context)
    if g is None:
        raise ValueError("g must be a [B, T, HV] tensor of log decays (or raw gates), got None")
    if beta is None:
        raise ValueError("beta must be a [B, T, HV] tensor, got None")
    if beta.dim() != 3:
        raise ValueError(f"beta must have shape [B, T, HV], got {list(beta.shape)}")
    tensors = gated_delta_rule_tensors(
        q, k, v, g, beta, use_qk_l2norm_in_kernel=False,  # the chunk kernel normalises
        use_beta_sigmoid_in_kernel=use_beta_sigmoid_in_kernel, allow_neg_eigval=allow_neg_eigval,
        use_gate_in_kernel=bool(options.get("use_gate_in_kernel", False)),
        A_log=options.get("A_log"), dt_bias=options.get("dt_bias"),
    )  # fmt: skip
    inputs = KernelInputs.from_fla(
        tensors, out_dtype=q.dtype, scale=scale, initial_state=initial_state,
        output_final_state=output_final_state, state_v_first=state_v_first, cu_seqlens=cu_seqlens,
    )  # fmt: skip
    return inputs.run(chunk_delta_rule, chunk_size=chunk_size, qk_l2norm=use_qk_l2norm_in_kernel)


chunk_gdn = chunk_gated_delta_rule
