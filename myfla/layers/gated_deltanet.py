"""GatedDeltaNet layer (``fla.layers.GatedDeltaNet``), with fla 0.6.0's parameters and cache."""

import math
import warnings
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
from myfla.modules.norm.fused_norm_gate import GATE_ACTIVATIONS
from myfla.ops.gated_delta_rule import chunk_gated_delta_rule, fused_recurrent_gated_delta_rule

MODES = ("chunk", "fused_recurrent")


def _inverse_softplus(x: torch.Tensor) -> torch.Tensor:
    return x + torch.log(-torch.expm1(-x))


class GatedDeltaNet(nn.Module):
    """Gated DeltaNet (Yang et al., 2024): a delta-rule memory with a learned scalar decay.

    ``hidden_states: [B, T, hidden_size]`` -> ``(o: [B, T, hidden_size], None, past_key_values)``.
    Heads: ``num_heads`` query/key heads of ``head_dim``; ``num_v_heads`` (default ``num_heads``)
    value heads of ``head_dim * expand_v`` each, sharing keys in groups when larger.
    """

    def __init__(
        self,
        hidden_size: int = 2048,
        expand_v: float = 2,
        head_dim: int = 256,
        num_heads: int = 6,
        num_v_heads: Optional[int] = None,
        mode: str = "chunk",
        use_gate: bool = True,
        use_short_conv: bool = True,
        allow_neg_eigval: bool = False,
        conv_size: int = 4,
        conv_bias: bool = False,
        layer_idx: Optional[int] = None,
        norm_eps: float = 1e-5,
        output_gate_activation: str = "swish",
        **kwargs,
    ):
        super().__init__()
        warn_ignored_kwargs(type(self).__name__, kwargs)
        check_choice("mode", mode, MODES)
        check_choice("output_gate_activation", output_gate_activation, GATE_ACTIVATIONS)
        check_int("hidden_size", hidden_size, minimum=1)
        check_int("head_dim", head_dim, minimum=1)
        check_int("num_heads", num_heads, minimum=1)
        check_optional_int("num_v_heads", num_v_heads, minimum=1)
        check_positive_real("expand_v", expand_v)
        check_int("conv_size", conv_size, minimum=1)
        check_optional_int("layer_idx", layer_idx)
        self.mode = mode
        self.allow_neg_eigval = allow_neg_eigval
        self.hidden_size = hidden_size
        self.expand_v = expand_v
        self.use_gate = use_gate
        self.use_short_conv = use_short_conv
        self.conv_size = conv_size
        self.conv_bias = conv_bias
        self.head_dim = head_dim
        self.num_heads = num_heads
        self.num_v_heads = num_heads if num_v_heads is None else num_v_heads
        self.head_k_dim = head_dim
        self.head_v_dim = int(head_dim * expand_v)
        self.key_dim = num_heads * self.head_k_dim
        self.value_dim = self.num_v_heads * self.head_v_dim
        self.layer_idx = layer_idx
        if not math.isclose(head_dim * expand_v, self.head_v_dim, rel_tol=1e-5):
            raise ValueError(
                f"expand_v={expand_v} times head_dim={head_dim} must be a whole number, "
                f"got {head_dim * expand_v}"
            )
        check_multiple("num_v_heads", self.num_v_heads, "num_heads", num_heads)

        self.q_proj = nn.Linear(hidden_size, self.key_dim, bias=False)
        self.k_proj = nn.Linear(hidden_size, self.key_dim, bias=False)
        self.v_proj = nn.Linear(hidden_size, self.value_dim, bias=False)
        self.a_proj = nn.Linear(hidden_size, self.num_v_heads, bias=False)
        self.b_proj = nn.Linear(hidden_size, self.num_v_heads, bias=False)

        # Decay rates A ~ U(0, 16) and time steps dt ~ logU(1e-3, 0.1), as in Mamba2 and fla.
        self.A_log = nn.Parameter(torch.empty(self.num_v_heads).uniform_(0, 16).log())
        self.A_log._no_weight_decay = True
        dt = torch.exp(
            torch.rand(self.num_v_heads) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3)
        )
        self.dt_bias = nn.Parameter(_inverse_softplus(dt.clamp_min(1e-4)))
        self.dt_bias._no_weight_decay = True

        if use_short_conv:
            self.q_conv1d = ShortConvolution(
                self.key_dim, conv_size, bias=conv_bias, activation="silu"
            )
            self.k_conv1d = ShortConvolution(
                self.key_dim, conv_size, bias=conv_bias, activation="silu"
            )
            self.v_conv1d = ShortConvolution(
                self.value_dim, conv_size, bias=conv_bias, activation="silu"
            )
        else:
            warnings.warn(
                "use_short_conv=False: GatedDeltaNet usually trains much worse "
                "without its short convolutions",
                stacklevel=2,
            )
        if use_gate:
            self.g_proj = nn.Linear(hidden_size, self.value_dim, bias=False)
            self.o_norm = FusedRMSNormGated(
                self.head_v_dim, eps=norm_eps, activation=output_gate_activation
            )
        else:
            self.o_norm = RMSNorm(self.head_v_dim, eps=norm_eps, dtype=torch.float32)
        self.o_proj = nn.Linear(self.value_dim, hidden_size, bias=False)

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
        mode = select_mode(self.mode, q_len, self.training, recurrent_only_in_inference=True)

        last_state = get_layer_cache(self, past_key_values)
        hidden_states, indices, cu_seqlens = unpad_hidden_states(
            hidden_states, kwargs.get("cu_seqlens"), attention_mask, q_len
        )

        convs = (self.q_conv1d, self.k_conv1d, self.v_conv1d) if self.use_short_conv else None
        (q, k, v), conv_states = project_and_convolve(
            hidden_states,
            (self.q_proj, self.k_proj, self.v_proj),
            convs,
            last_state,
            use_cache,
            cu_seqlens,
        )
        if convs is None:
            q, k, v = F.silu(q), F.silu(k), F.silu(v)
        q, k = (rearrange(x, "... (h d) -> ... h d", d=self.head_k_dim) for x in (q, k))
        v = rearrange(v, "... (h d) -> ... h d", d=self.head_v_dim)

        op = chunk_gated_delta_rule if mode == "chunk" else fused_recurrent_gated_delta_rule
        o, recurrent_state = op(
            q=q,
            k=k,
            v=v,
            g=self.a_proj(hidden_states),
            beta=self.b_proj(hidden_states),
            initial_state=None if last_state is None else last_state["recurrent_state"],
            output_final_state=use_cache,
            use_qk_l2norm_in_kernel=True,
            use_beta_sigmoid_in_kernel=True,
            allow_neg_eigval=self.allow_neg_eigval,
            use_gate_in_kernel=True,
            A_log=self.A_log,
            dt_bias=self.dt_bias,
            state_v_first=True,
            cu_seqlens=cu_seqlens,
        )
        update_layer_cache(
            self,
            past_key_values,
            recurrent_state=recurrent_state,
            conv_state=conv_states if self.use_short_conv else None,
            offset=q_len,
        )
        if self.use_gate:
            g = rearrange(self.g_proj(hidden_states), "... (h d) -> ... h d", d=self.head_v_dim)
            o = self.o_norm(o, g)
        else:
            o = self.o_norm(o)
        o = self.o_proj(rearrange(o, "b t h d -> b t (h d)"))
        o = repad_hidden_states(o, indices, batch_size, q_len)
        return o, None, past_key_values
