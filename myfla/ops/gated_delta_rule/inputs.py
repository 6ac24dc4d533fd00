"""The gated delta rule's own tensors, checked in fla's layout and preprocessed as fla's kernels
do (L2-normalised ``q, k``, sigmoid ``beta``, the gate), for the chunk and recurrent ops.

fla's layout: ``q, k: [B, T, H, K]``, ``v: [B, T, HV, V]`` with ``HV % H == 0``,
``g, beta: [B, T, HV]``, states ``[N, HV, K, V]`` (``[N, HV, V, K]`` with ``state_v_first``).
"""

from typing import Dict, Optional

import torch
import torch.nn.functional as F

from myfla._checks import check_float_tensor, compute_dtype
from myfla.ops.kernels.l2norm import l2_norm


def _check_qkv(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
    check_float_tensor("q", q, (None,) * 4, "[B, T, H, K]")
    check_float_tensor("k", k, q.shape, "[B, T, H, K] as q")
    check_float_tensor("v", v, (*q.shape[:2], None, None), "[B, T, HV, V]")
    if v.shape[2] % q.shape[2] != 0:
        raise ValueError(
            f"v has HV={v.shape[2]} heads, which must be a multiple of "
            f"the H={q.shape[2]} heads of q and k"
        )


def gated_delta_rule_tensors(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: Optional[torch.Tensor],
    beta: Optional[torch.Tensor],
    gk: Optional[torch.Tensor] = None,
    gv: Optional[torch.Tensor] = None,
    *,
    use_qk_l2norm_in_kernel: bool,
    use_beta_sigmoid_in_kernel: bool,
    allow_neg_eigval: bool,
    use_gate_in_kernel: bool,
    A_log: Optional[torch.Tensor],
    dt_bias: Optional[torch.Tensor],
) -> Dict[str, Optional[torch.Tensor]]:
    """``{q, k, v, g, beta[, gk][, gv]}`` checked, preprocessed, in the compute dtype of ``q``.

    ``beta`` is ``[B, T, HV]`` ones when not given; ``q, k`` are repeated to the ``HV`` heads of
    ``v`` (key heads shared by groups of value heads), so that the kernel sees one head count.
    """
    _check_qkv(q, k, v)
    batch, seq_len, heads, key_dim = q.shape
    v_heads, value_dim = v.shape[2:]
    if g is not None:
        check_float_tensor("g", g, (batch, seq_len, v_heads), "[B, T, HV]")
    if gk is not None:
        check_float_tensor("gk", gk, (batch, seq_len, v_heads, key_dim), "[B, T, HV, K]")
    if gv is not None:
        check_float_tensor("gv", gv, (batch, seq_len, v_heads, value_dim), "[B, T, HV, V]")
    if beta is not None and beta.dim() == 4:
        check_float_tensor("beta", beta, (batch, seq_len, v_heads, value_dim), "[B, T, HV, V]")
    elif beta is not None:
        check_float_tensor("beta", beta, (batch, seq_len, v_heads), "[B, T, HV]")
    if allow_neg_eigval and not use_beta_sigmoid_in_kernel:
        raise ValueError("allow_neg_eigval=True requires use_beta_sigmoid_in_kernel=True")
    if use_gate_in_kernel:
        if g is None:
            raise ValueError("use_gate_in_kernel=True requires the raw gate input g")
        if A_log is None:
            raise ValueError("use_gate_in_kernel=True requires A_log of shape [HV]")
        check_float_tensor("A_log", A_log, (v_heads,), "[HV]")
        if dt_bias is not None:
            check_float_tensor("dt_bias", dt_bias, (v_heads,), "[HV]")

    dtype = compute_dtype(q)
    q, k, v = q.to(dtype), k.to(dtype), v.to(dtype)
    if use_qk_l2norm_in_kernel:
        q, k = l2_norm(q), l2_norm(k)
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
    group = v_heads // heads
    if group > 1:
        q, k = q.repeat_interleave(group, dim=2), k.repeat_interleave(group, dim=2)
    tensors = dict(q=q, k=k, v=v, g=g, beta=beta)
    tensors.update((name, x) for name, x in (("gk", gk), ("gv", gv)) if x is not None)
    return tensors
