"""Checks and canonical form of the gated-delta-rule arguments (chunk and recurrent ops).

Public layout (fla's): ``q, k: [B, T, H, K]``, ``v: [B, T, HV, V]`` with ``HV % H == 0``,
``g, beta: [B, T, HV]``, states ``[N, HV, K, V]`` (``[N, HV, V, K]`` with ``state_v_first``).
"""

from typing import Optional, Tuple

import torch
import torch.nn.functional as F

from myfla.modules.l2norm import l2_norm
from myfla.ops.utils.inputs import (
    Kernel,
    check_scale,
    check_state,
    check_tensor,
    compute_dtype,
    num_sequences,
    pop_options,
    run_head_first,
)

__all__ = ["pop_options", "run_gated_delta_rule"]


def _check_qkv(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
    check_tensor("q", q, (None,) * 4, "[B, T, H, K]")
    check_tensor("k", k, q.shape, "[B, T, H, K] as q")
    check_tensor("v", v, (*q.shape[:2], None, None), "[B, T, HV, V]")
    if v.shape[2] % q.shape[2] != 0:
        raise ValueError(
            f"v has HV={v.shape[2]} heads, which must be a multiple of "
            f"the H={q.shape[2]} heads of q and k"
        )


def run_gated_delta_rule(
    kernel: Kernel,
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: Optional[torch.Tensor],
    beta: Optional[torch.Tensor],
    scale: Optional[float],
    initial_state: Optional[torch.Tensor],
    output_final_state: bool,
    use_qk_l2norm_in_kernel: bool,
    use_beta_sigmoid_in_kernel: bool,
    allow_neg_eigval: bool,
    use_gate_in_kernel: bool,
    A_log: Optional[torch.Tensor],
    dt_bias: Optional[torch.Tensor],
    state_v_first: bool,
    cu_seqlens: Optional[torch.Tensor],
    gk: Optional[torch.Tensor] = None,
    gv: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Check the arguments, bring them to canonical form, run ``kernel`` and restore fla's layout.

    ``kernel(q, k, v, g=, beta=, scale=, initial_state=[, gk=, gv=])`` takes canonical head-first
    tensors (see ``myfla.ops.common.delta_rule``). Computation runs in float32, or in float64 when
    ``q`` is float64; the output has ``q``'s dtype and the state stays in the compute dtype.
    """
    _check_qkv(q, k, v)
    batch, seq_len, heads, key_dim = q.shape
    v_heads, value_dim = v.shape[2:]
    if g is not None:
        check_tensor("g", g, (batch, seq_len, v_heads), "[B, T, HV]")
    if gk is not None:
        check_tensor("gk", gk, (batch, seq_len, v_heads, key_dim), "[B, T, HV, K]")
    if gv is not None:
        check_tensor("gv", gv, (batch, seq_len, v_heads, value_dim), "[B, T, HV, V]")
    if beta is not None and beta.dim() == 4:
        check_tensor("beta", beta, (batch, seq_len, v_heads, value_dim), "[B, T, HV, V]")
    elif beta is not None:
        check_tensor("beta", beta, (batch, seq_len, v_heads), "[B, T, HV]")
    check_scale(scale)
    if allow_neg_eigval and not use_beta_sigmoid_in_kernel:
        raise ValueError("allow_neg_eigval=True requires use_beta_sigmoid_in_kernel=True")
    if use_gate_in_kernel:
        if g is None:
            raise ValueError("use_gate_in_kernel=True requires the raw gate input g")
        if A_log is None:
            raise ValueError("use_gate_in_kernel=True requires A_log of shape [HV]")
        check_tensor("A_log", A_log, (v_heads,), "[HV]")
        if dt_bias is not None:
            check_tensor("dt_bias", dt_bias, (v_heads,), "[HV]")
    num_seqs = num_sequences(cu_seqlens, batch, seq_len)
    check_state(initial_state, num_seqs, v_heads, key_dim, value_dim, state_v_first)

    out_dtype = q.dtype
    dtype = compute_dtype(q)
    q, k, v = q.to(dtype), k.to(dtype), v.to(dtype)
    if use_qk_l2norm_in_kernel:
        q, k = l2_norm(q), l2_norm(k)
    if scale is None:
        scale = key_dim**-0.5
    if beta is None:
        beta = v.new_ones(batch, seq_len, v_heads)
    beta = beta.to(dtype)
    if use_beta_sigmoid_in_kernel:
        beta = beta.sigmoid() * (2.0 if allow_neg_eigval else 1.0)
    if g is not None:
        g = g.to(dtype)
        if use_gate_in_kernel:
            if dt_bias is not None:
                g = g + dt_bias.to(dtype)
            g = -A_log.to(dtype).exp() * F.softplus(g)
    gk = None if gk is None else gk.to(dtype)
    gv = None if gv is None else gv.to(dtype)
    group = v_heads // heads
    if group > 1:
        q, k = q.repeat_interleave(group, dim=2), k.repeat_interleave(group, dim=2)
    tensors = dict(q=q, k=k, v=v, g=g, beta=beta)
    tensors.update((name, x) for name, x in (("gk", gk), ("gv", gv)) if x is not None)
    return run_head_first(
        kernel,
        tensors,
        initial_state,
        output_final_state,
        state_v_first,
        cu_seqlens,
        out_dtype,
        scale=scale,
    )
