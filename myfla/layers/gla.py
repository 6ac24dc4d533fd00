"""Gated linear attention layer (``fla.layers.GatedLinearAttention``), as in fla 0.6.0."""

import math
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

from myfla._checks import (
    check_choice,
    check_int,
    check_multiple,
    check_optional_int,
    check_positive_real,
    warn_ignored_kwargs,
)
from myfla.layers.utils import (
    FORWARD_KWARGS,
    check_layer_inputs,
    get_layer_cache,
    project_and_convolve,
    repad_hidden_states,
    select_mode,
    unpad_hidden_states,
    update_layer_cache,
)
from myfla.modules import FusedRMSNormGated, RMSNorm, ShortConvolution
from myfla.modules.activations import ACT2FN
from myfla.ops.gla import chunk_gla, fused_chunk_gla, fused_recurrent_gla

MODES = ("chunk", "fused_recurrent", "fused_chunk")


def _whole(name: str, value: float) -> int:
    if not math.isclose(value, round(value)):
        raise ValueError(f"{name} must be a whole number, got {value}")
    return round(value)


class GatedLinearAttention(nn.Module):
    """Gated linear attention (Yang et al., 2023): linear attention with per-key learned decays.

    ``hidden_states: [B, T, hidden_size]`` -> ``(o: [B, T, hidden_size], None, past_key_values)``.
    ``num_heads`` query heads of ``hidden_size * expand_k / num_heads`` (key) and
    ``hidden_size * expand_v / num_heads`` (value) dims; keys, values and decays have
    ``num_kv_heads`` heads, shared by groups of query heads.
    """

    def __init__(
        self,
        mode: str = "chunk",
        hidden_size: int = 1024,
        expand_k: float = 0.5,
        expand_v: float = 1.0,
        num_heads: int = 4,
        num_kv_heads: Optional[int] = None,
        feature_map: Optional[str] = None,
        use_short_conv: bool = False,
        conv_size: int = 4,
        conv_bias: bool = False,
        use_output_gate: bool = True,
        gate_fn: str = "swish",
        elementwise_affine: Optional[bool] = True,
        norm_eps: float = 1e-5,
        gate_logit_normalizer: int = 16,
        gate_low_rank_dim: int = 16,
        clamp_min: Optional[float] = None,
        fuse_norm: bool = True,
        layer_idx: Optional[int] = None,
    ):
        super().__init__()
        check_choice("mode", mode, MODES)
        check_int("hidden_size", hidden_size, minimum=1)
        check_int("num_heads", num_heads, minimum=1)
        check_optional_int("num_kv_heads", num_kv_heads, minimum=1)
        check_positive_real("expand_k", expand_k)
        check_positive_real("expand_v", expand_v)
        check_int("conv_size", conv_size, minimum=1)
        check_int("gate_low_rank_dim", gate_low_rank_dim, minimum=1)
        check_optional_int("layer_idx", layer_idx)
        if feature_map is not None:
            check_choice("feature_map", feature_map, ACT2FN)
        check_choice("gate_fn", gate_fn, ACT2FN)
        self.mode = mode
        self.hidden_size = hidden_size
        self.expand_k = expand_k
        self.expand_v = expand_v
        self.num_heads = num_heads
        self.num_kv_heads = num_heads if num_kv_heads is None else num_kv_heads
        check_multiple("num_heads", num_heads, "num_kv_heads", self.num_kv_heads)
        self.num_kv_groups = num_heads // self.num_kv_heads
        self.feature_map_fn = None if feature_map is None else ACT2FN[feature_map]
        self.use_short_conv = use_short_conv
        self.conv_size = conv_size
        self.conv_bias = conv_bias
        self.use_output_gate = use_output_gate
        self.key_dim = _whole("hidden_size * expand_k", hidden_size * expand_k)
        self.value_dim = _whole("hidden_size * expand_v", hidden_size * expand_v)
        for name, dim in (("key dim", self.key_dim), ("value dim", self.value_dim)):
            if dim % num_heads != 0:
                raise ValueError(f"{name} {dim} must be divisible by num_heads={num_heads}")
        self.key_dim_per_group = self.key_dim // self.num_kv_groups
        self.value_dim_per_group = self.value_dim // self.num_kv_groups
        self.clamp_min = clamp_min
        self.layer_idx = layer_idx
        self.head_k_dim = self.key_dim // num_heads
        self.head_v_dim = self.value_dim // num_heads

        self.q_proj = nn.Linear(hidden_size, self.key_dim, bias=False)
        self.k_proj = nn.Linear(hidden_size, self.key_dim_per_group, bias=False)
        self.v_proj = nn.Linear(hidden_size, self.value_dim_per_group, bias=False)
        if use_output_gate:
            self.g_proj = nn.Linear(hidden_size, self.value_dim, bias=False)
        if use_short_conv:
            self.q_conv1d = ShortConvolution(
                self.key_dim, conv_size, bias=conv_bias, activation="silu"
            )
            self.k_conv1d = ShortConvolution(
                self.key_dim_per_group, conv_size, bias=conv_bias, activation="silu"
            )
            self.v_conv1d = ShortConvolution(
                self.value_dim_per_group, conv_size, bias=conv_bias, activation="silu"
            )
        self.gk_proj = nn.Sequential(
            nn.Linear(hidden_size, gate_low_rank_dim, bias=False),
            nn.Linear(gate_low_rank_dim, self.key_dim_per_group, bias=True),
        )
        self.o_proj = nn.Linear(self.value_dim, hidden_size, bias=False)
        self.fuse_norm_and_gate = gate_fn == "swish" and fuse_norm and use_output_gate
        if self.fuse_norm_and_gate:
            self.g_norm_swish_gate = FusedRMSNormGated(
                self.head_v_dim, elementwise_affine=elementwise_affine, eps=norm_eps
            )
        else:
            self.g_norm = RMSNorm(
                self.head_v_dim,
                elementwise_affine=elementwise_affine,
                eps=norm_eps,
                dtype=torch.float32,
            )
            self.gate_fn = ACT2FN[gate_fn]
        self.gate_logit_normalizer = gate_logit_normalizer

    def _heads(self, x: torch.Tensor, head_dim: int) -> torch.Tensor:
        """``[..., heads * head_dim]`` -> ``[..., num_heads, head_dim]``, kv heads repeated."""
        x = rearrange(x, "... (h d) -> ... h d", d=head_dim)
        if self.num_kv_groups > 1 and x.shape[-2] != self.num_heads:
            x = x.repeat_interleave(self.num_kv_groups, dim=-2)
        return x

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: Optional[torch.Tensor] = None,
        past_key_values=None,
        use_cache: Optional[bool] = False,
        output_attentions: Optional[bool] = False,
        **kwargs,
    ) -> Tuple[torch.Tensor, None, object]:
        """``hidden_states: [B, T, hidden_size]``; ``attention_mask: [B, T]`` 0/1 (left padding);
        ``cu_seqlens`` (keyword) for packed ``B == 1`` inputs.
        Returns ``(o, None, past_key_values)``."""
        warn_ignored_kwargs(f"{type(self).__name__}.forward", kwargs, FORWARD_KWARGS)
        check_layer_inputs(hidden_states, self.hidden_size, attention_mask)
        batch_size, q_len, _ = hidden_states.shape
        mode = select_mode(self.mode, q_len, self.training)

        last_state = get_layer_cache(self, past_key_values)
        hidden_states, indices, cu_seqlens = unpad_hidden_states(
            hidden_states, kwargs.get("cu_seqlens"), attention_mask, q_len
        )

        (q, k, v), conv_states = project_and_convolve(
            hidden_states,
            (self.q_proj, self.k_proj, self.v_proj),
            (self.q_conv1d, self.k_conv1d, self.v_conv1d) if self.use_short_conv else None,
            last_state,
            use_cache,
            cu_seqlens,
        )
        gk = self.gk_proj(hidden_states)
        q, k, gk = (self._heads(x, self.head_k_dim) for x in (q, k, gk))
        v = self._heads(v, self.head_v_dim)
        gk = F.logsigmoid(gk) / self.gate_logit_normalizer
        if self.clamp_min is not None:
            gk = torch.clamp_min(gk, self.clamp_min)
        if self.feature_map_fn is not None:
            q, k = self.feature_map_fn(q), self.feature_map_fn(k)

        initial_state = None if last_state is None else last_state["recurrent_state"]
        common = dict(
            initial_state=initial_state,
            output_final_state=use_cache,
            state_v_first=True,
            cu_seqlens=cu_seqlens,
        )
        if mode == "fused_recurrent":
            o, recurrent_state = fused_recurrent_gla(q=q, k=k, v=v, gk=gk, **common)
        else:
            op = chunk_gla if mode == "chunk" else fused_chunk_gla
            o, recurrent_state = op(q=q, k=k, v=v, g=gk, **common)
        update_layer_cache(
            self,
            past_key_values,
            recurrent_state=recurrent_state,
            conv_state=conv_states if self.use_short_conv else None,
            offset=q_len,
        )

        if self.fuse_norm_and_gate:
            g = rearrange(self.g_proj(hidden_states), "... (h d) -> ... h d", d=self.head_v_dim)
            o = rearrange(self.g_norm_swish_gate(o, g), "... h d -> ... (h d)")
        else:
            o = rearrange(self.g_norm(o), "... h d -> ... (h d)")
            if self.use_output_gate:
                o = o * self.gate_fn(self.g_proj(hidden_states))
        o = self.o_proj(o)
        o = repad_hidden_states(o, indices, batch_size, q_len)
        return o, None, past_key_values
