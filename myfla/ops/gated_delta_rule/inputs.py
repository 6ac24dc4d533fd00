"""Checks and canonical form of the gated-delta-rule arguments (chunk and recurrent ops).

Public layout (fla's): ``q, k: [B, T, H, K]``, ``v: [B, T, HV, V]`` with ``HV % H == 0``,
``g, beta: [B, T, HV]``, states ``[N, HV, K, V]`` (``[N, HV, V, K]`` with ``state_v_first``).
"""

import warnings
from numbers import Real
from typing import Callable, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from myfla.modules.l2norm import l2_norm
from myfla.ops.utils import check_cu_seqlens, to_padded, unpad_packed

Kernel = Callable[..., Tuple[torch.Tensor, torch.Tensor]]


def _check_tensor(name: str, x: torch.Tensor, shape: Sequence[Optional[int]], what: str) -> None:
    """``x`` must be a floating tensor of ``shape`` (``None`` entries match any size)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != len(shape) or any(n is not None and n != m for n, m in zip(shape, x.shape)):
        expected = ["?" if n is None else n for n in shape]
        raise ValueError(f"{name} must have shape {what} = {expected}, got {list(x.shape)}")
    if not x.dtype.is_floating_point:
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")


def _check_qkv(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
    _check_tensor("q", q, (None,) * 4, "[B, T, H, K]")
    _check_tensor("k", k, q.shape, "[B, T, H, K] as q")
    _check_tensor("v", v, (*q.shape[:2], None, None), "[B, T, HV, V]")
    if v.shape[2] % q.shape[2] != 0:
        raise ValueError(
            f"v has HV={v.shape[2]} heads, which must be a multiple of "
            f"the H={q.shape[2]} heads of q and k"
        )


def pop_options(kwargs: dict, state_v_first: bool, allowed: Tuple[str, ...]) -> Tuple[bool, dict]:
    """Handle fla's deprecated/extra keyword arguments; reject unknown ones by name."""
    if "head_first" in kwargs:
        raise ValueError(
            "head_first is not supported: inputs must be [B, T, H, ...] as in fla 0.6.0"
        )
    if "transpose_state_layout" in kwargs:
        if state_v_first:
            raise ValueError(
                "pass either state_v_first or the deprecated transpose_state_layout, not both"
            )
        warnings.warn(
            "transpose_state_layout is deprecated; use state_v_first",
            DeprecationWarning,
            stacklevel=3,
        )
        state_v_first = bool(kwargs.pop("transpose_state_layout"))
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise TypeError(f"unexpected keyword arguments: {', '.join(unknown)}")
    return state_v_first, kwargs


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
        _check_tensor("g", g, (batch, seq_len, v_heads), "[B, T, HV]")
    if gk is not None:
        _check_tensor("gk", gk, (batch, seq_len, v_heads, key_dim), "[B, T, HV, K]")
    if gv is not None:
        _check_tensor("gv", gv, (batch, seq_len, v_heads, value_dim), "[B, T, HV, V]")
    if beta is not None and beta.dim() == 4:
        _check_tensor("beta", beta, (batch, seq_len, v_heads, value_dim), "[B, T, HV, V]")
    elif beta is not None:
        _check_tensor("beta", beta, (batch, seq_len, v_heads), "[B, T, HV]")
    if scale is not None and (not isinstance(scale, Real) or isinstance(scale, bool)):
        raise TypeError(f"scale must be a real number or None, got {type(scale).__name__}")
    if allow_neg_eigval and not use_beta_sigmoid_in_kernel:
        raise ValueError("allow_neg_eigval=True requires use_beta_sigmoid_in_kernel=True")
    if use_gate_in_kernel:
        if g is None:
            raise ValueError("use_gate_in_kernel=True requires the raw gate input g")
        if A_log is None:
            raise ValueError("use_gate_in_kernel=True requires A_log of shape [HV]")
        _check_tensor("A_log", A_log, (v_heads,), "[HV]")
        if dt_bias is not None:
            _check_tensor("dt_bias", dt_bias, (v_heads,), "[HV]")
    num_seqs = batch
    if cu_seqlens is not None:
        check_cu_seqlens(cu_seqlens, batch, seq_len)
        num_seqs = cu_seqlens.numel() - 1
    if initial_state is not None:
        layout = (value_dim, key_dim) if state_v_first else (key_dim, value_dim)
        _check_tensor(
            "initial_state",
            initial_state,
            (num_seqs, v_heads) + layout,
            "[N, HV, V, K]" if state_v_first else "[N, HV, K, V]",
        )

    out_dtype = q.dtype
    dtype = torch.float64 if q.dtype == torch.float64 else torch.float32
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
    if initial_state is not None:
        initial_state = initial_state.to(dtype)
        if state_v_first:
            initial_state = initial_state.transpose(-1, -2)

    index = None
    if cu_seqlens is not None:
        (q, k, v, g, beta, gk, gv), index = to_padded(
            q, k, v, g, beta, gk, gv, cu_seqlens=cu_seqlens
        )
    group = v_heads // heads
    if group > 1:
        q, k = q.repeat_interleave(group, dim=2), k.repeat_interleave(group, dim=2)

    def head_first(x: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
        return None if x is None else x.transpose(1, 2)

    per_channel_decays = {
        name: head_first(x) for name, x in (("gk", gk), ("gv", gv)) if x is not None
    }
    o, final_state = kernel(
        head_first(q),
        head_first(k),
        head_first(v),
        g=head_first(g),
        beta=head_first(beta),
        scale=scale,
        initial_state=initial_state,
        **per_channel_decays,
    )
    o = o.transpose(1, 2)
    if index is not None:
        o = unpad_packed(o, index)
    o = o.contiguous().to(out_dtype)
    if not output_final_state:
        return o, None
    if state_v_first:
        final_state = final_state.transpose(-1, -2)
    return o, final_state.contiguous()
