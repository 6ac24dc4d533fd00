"""RWKV7 time mixing (``fla.layers.RWKV7Attention``), with fla 0.6.0's parameters and cache."""

from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

from myfla._checks import (
    check_choice,
    check_divisor,
    check_int,
    check_optional_int,
    warn_ignored_kwargs,
)
from myfla.layers.utils import (
    FORWARD_KWARGS,
    RECURRENT_MAX_LEN,
    check_layer_inputs,
    get_layer_cache,
    select_mode,
    update_layer_cache,
)
from myfla.modules import GroupNorm, LoRA
from myfla.modules.norm.l2norm import l2_norm
from myfla.modules.token_shift import token_shift
from myfla.ops.rwkv7 import (
    chunk_rwkv7,
    fused_addcmul_rwkv7,
    fused_k_rwkv7,
    fused_mul_recurrent_rwkv7,
    gate_output_correction,
)

MODES = ("chunk", "fused_recurrent")
# w = -exp(-0.5) * sigmoid(.): the per-step log decay lies in (-exp(-0.5), 0).
DECAY_BOUND = -0.6065306597126334


def _low_rank(value: Optional[int], multiplier: float, hidden_size: int, factor: float) -> int:
    """fla's default LoRA rank: ``multiplier * sqrt(hidden_size) * factor`` rounded to 32."""
    if value is not None:
        return value
    return max(32, int(round(multiplier * hidden_size**0.5 * factor / 32) * 32))


class RWKV7Attention(nn.Module):
    """RWKV-7 time mixing: a diagonal-plus-low-rank delta-rule memory per head.

    ``hidden_states: [B, T, hidden_size]`` -> ``(o: [B, T, hidden_size], None, past_key_values,
    v_first: [B, T, value_dim])``. Heads of ``head_dim`` keys (or ``num_heads`` heads when
    ``head_dim`` is ``None``) and ``value_dim / num_heads`` values. Layer 0 returns its values as
    ``v_first``; every other layer must be given them.
    """

    def __init__(
        self,
        mode: str = "chunk",
        hidden_size: int = 1024,
        head_dim: Optional[int] = 64,
        num_heads: Optional[int] = None,
        decay_low_rank_dim: Optional[int] = None,
        gate_low_rank_dim: Optional[int] = None,
        a_low_rank_dim: Optional[int] = None,
        v_low_rank_dim: Optional[int] = None,
        elementwise_affine: Optional[bool] = True,
        norm_eps: float = 1e-5,
        layer_idx: Optional[int] = None,
        fuse_norm: bool = False,
        value_dim: Optional[int] = None,
        num_hidden_layers: Optional[int] = None,
        **kwargs,
    ):
        super().__init__()
        warn_ignored_kwargs(type(self).__name__, kwargs)
        check_choice("mode", mode, MODES)
        check_int("hidden_size", hidden_size, minimum=1)
        for name, value in (
            ("decay_low_rank_dim", decay_low_rank_dim),
            ("gate_low_rank_dim", gate_low_rank_dim),
            ("a_low_rank_dim", a_low_rank_dim),
            ("v_low_rank_dim", v_low_rank_dim),
            ("value_dim", value_dim),
            ("num_hidden_layers", num_hidden_layers),
        ):
            check_optional_int(name, value, minimum=1)
        check_optional_int("layer_idx", layer_idx)
        if head_dim is None and num_heads is None:
            raise ValueError("either head_dim or num_heads must be given")
        if head_dim is not None:
            check_divisor("head_dim", head_dim, hidden_size, f"hidden_size={hidden_size}")
            num_heads = hidden_size // head_dim
        else:
            check_divisor("num_heads", num_heads, hidden_size, f"hidden_size={hidden_size}")
        self.mode = mode
        self.hidden_size = hidden_size
        self.key_dim = hidden_size
        self.value_dim = hidden_size if value_dim is None else value_dim
        self.num_heads = num_heads
        self.head_dim = hidden_size // num_heads
        if self.value_dim % num_heads != 0:
            raise ValueError(
                f"value_dim={self.value_dim} must be divisible by num_heads={num_heads}"
            )
        if layer_idx is not None and num_hidden_layers is None:
            raise ValueError("num_hidden_layers is needed to initialise a layer with a layer_idx")
        self.head_v_dim = self.value_dim // num_heads
        factor = self.head_dim / 64
        self.decay_low_rank_dim = _low_rank(decay_low_rank_dim, 2.5, hidden_size, factor)
        self.gate_low_rank_dim = _low_rank(gate_low_rank_dim, 5, hidden_size, 1)
        self.a_low_rank_dim = _low_rank(a_low_rank_dim, 2.5, hidden_size, factor)
        self.v_low_rank_dim = _low_rank(v_low_rank_dim, 1.7, hidden_size, factor)
        self.layer_idx = layer_idx
        self.num_hidden_layers = num_hidden_layers
        self.fuse_norm = fuse_norm

        self.time_shift = nn.ZeroPad2d((0, 0, 1, -1))
        for name in ("x_r", "x_w", "x_k", "x_v", "x_a", "x_g"):
            setattr(self, name, nn.Parameter(torch.zeros(1, 1, hidden_size)))
        self.k_k = nn.Parameter(torch.zeros(self.key_dim))
        self.k_a = nn.Parameter(torch.zeros(self.key_dim))
        self.r_k = nn.Parameter(torch.zeros(num_heads, self.head_dim))
        self.r_proj = nn.Linear(hidden_size, self.key_dim, bias=False)
        self.k_proj = nn.Linear(hidden_size, self.key_dim, bias=False)
        self.v_proj = nn.Linear(hidden_size, self.value_dim, bias=False)
        self.o_proj = nn.Linear(self.value_dim, hidden_size, bias=False)
        self.w_lora = LoRA(hidden_size, self.key_dim, self.decay_low_rank_dim, activation="tanh")
        if layer_idx != 0:
            self.v_lora = LoRA(hidden_size, self.value_dim, self.v_low_rank_dim, activation=None)
        self.a_lora = LoRA(hidden_size, self.key_dim, self.a_low_rank_dim, activation=None)
        self.g_lora = LoRA(
            hidden_size, self.value_dim, self.gate_low_rank_dim, activation="sigmoid", bias=False
        )
        if fuse_norm:
            self.g_norm = GroupNorm(
                num_groups=num_heads,
                hidden_size=self.value_dim,
                elementwise_affine=elementwise_affine,
                eps=self.head_dim * norm_eps,
                bias=True,
            )
        else:
            self.g_norm = nn.GroupNorm(
                num_groups=num_heads,
                num_channels=self.value_dim,
                eps=self.head_dim * norm_eps,
                affine=elementwise_affine,
            )
        if layer_idx is not None:
            self._initialize_weights()
        # fla's flags: a transformers model leaves the weights this layer initialised alone.
        for module in self.modules():
            module._in_rwkv_module = True
            module._is_hf_initialized = True

    @torch.no_grad()
    def _initialize_weights(self) -> None:
        """fla's initialisation, which depends on ``layer_idx / num_hidden_layers``."""
        depth = self.num_hidden_layers
        ratio_0_to_1 = self.layer_idx / (depth - 1) if depth > 1 else 0.0
        ratio_1_to_almost0 = 1.0 - self.layer_idx / depth
        n = torch.arange(self.hidden_size, dtype=torch.float32)
        linear = n / (self.hidden_size - 1) - 0.5
        half = (self.head_dim - 1) / 2
        zigzag = ((n % self.head_dim) - half) / half
        zigzag = zigzag * zigzag.abs()
        www = -6 + 6 * (n / (self.hidden_size - 1)) ** (1 + ratio_0_to_1**0.3)
        ddd = (n / self.hidden_size).view(1, 1, -1)
        powers = {"x_r": 0.2, "x_w": 0.9, "x_k": 0.7, "x_v": 0.7, "x_a": 0.9, "x_g": 0.2}
        for name, power in powers.items():
            getattr(self, name).copy_(1.0 - ddd ** (power * ratio_1_to_almost0))
        self.k_a.fill_(1.02)
        self.r_k.fill_(-0.04)
        self.k_k.copy_(0.71 - linear * 0.1)
        self.w_lora.set_bias_value(www + 0.5 + zigzag * 2.5)  # 0.5: from softplus
        self.a_lora.set_bias_value(-0.19 + zigzag * 0.3 + linear * 0.4)
        if self.layer_idx != 0:
            # fla ramps over hidden_size channels and fails when value_dim differs: ramp over
            # value_dim (the same values when they are equal).
            ramp = torch.arange(self.value_dim, dtype=torch.float32) / (self.value_dim - 1) - 0.5
            self.v_lora.set_bias_value(0.73 - ramp * 0.4)
        if self.g_norm.weight is not None:
            self.g_norm.weight.fill_(((self.layer_idx + 1) / depth) ** 0.7)
        for proj, gain in ((self.r_proj, 1.0), (self.k_proj, 0.1), (self.v_proj, 1.0)):
            weight = proj.weight.float()
            nn.init.orthogonal_(weight, gain=gain)
            proj.weight.copy_(weight)
        self.o_proj.weight.zero_()

    def _check_inputs(self, hidden_states, attention_mask, v_first) -> None:
        check_layer_inputs(hidden_states, self.hidden_size, attention_mask)
        batch, seq_len = hidden_states.shape[:2]
        if self.layer_idx == 0:
            return
        if v_first is None:
            raise ValueError(
                f"v_first is required for layer_idx={self.layer_idx}: pass the fourth output "
                "(v_first) of the layer with layer_idx=0"
            )
        expected = (batch, seq_len, self.value_dim)
        if not isinstance(v_first, torch.Tensor) or tuple(v_first.shape) != expected:
            got = list(v_first.shape) if isinstance(v_first, torch.Tensor) else type(v_first)
            raise ValueError(
                f"v_first must have shape [B, T, value_dim] = {list(expected)}, got {got}"
            )

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: Optional[torch.Tensor] = None,
        past_key_values=None,
        use_cache: Optional[bool] = False,
        output_attentions: Optional[bool] = False,
        v_first: Optional[torch.Tensor] = None,
        cu_seqlens: Optional[torch.Tensor] = None,
        **kwargs,
    ) -> Tuple[torch.Tensor, None, object, torch.Tensor]:
        """``hidden_states: [B, T, hidden_size]``; ``attention_mask: [B, T]`` 0/1 left padding;
        ``v_first: [B, T, value_dim]`` (layers other than 0); ``cu_seqlens`` for packed ``B == 1``.

        Returns ``(o, None, past_key_values, v_first)``.
        """
        warn_ignored_kwargs(f"{type(self).__name__}.forward", kwargs, FORWARD_KWARGS)
        self._check_inputs(hidden_states, attention_mask, v_first)
        batch_size, seq_len, _ = hidden_states.shape
        # Padding is zeroed by selection, not by multiplying: NaN * 0 would reach the tokens.
        padding = None
        if attention_mask is not None:
            padding = (attention_mask[:, -seq_len:] == 0).unsqueeze(-1)
            hidden_states = hidden_states.masked_fill(padding, 0.0)
        last_state = get_layer_cache(self, past_key_values)
        shift_state = recurrent_state = None
        if last_state is not None:
            shift_state, recurrent_state = last_state["conv_state"], last_state["recurrent_state"]

        delta, shift_state = token_shift(
            hidden_states, cu_seqlens, cache=shift_state, output_cache=True
        )
        xr, xw, xk, xv, xa, xg = fused_addcmul_rwkv7(
            hidden_states, delta, self.x_r, self.x_w, self.x_k, self.x_v, self.x_a, self.x_g
        )
        r = self.r_proj(xr)
        w = DECAY_BOUND * self.w_lora(xw).sigmoid()
        k = self.k_proj(xk)
        v = self.v_proj(xv)
        if self.layer_idx == 0:
            v_first = v
        else:
            v = torch.lerp(v, v_first.to(v.dtype), self.v_lora(xv).sigmoid())
        a = self.a_lora(xa).sigmoid()
        g = self.g_lora(xg)
        kk = rearrange(k * self.k_k, "b t (h d) -> b t h d", d=self.head_dim)
        kk = l2_norm(kk) if self.fuse_norm else F.normalize(kk, p=2.0, dim=-1)
        k = fused_k_rwkv7(k, a, self.k_a)
        if padding is not None:
            v = v.masked_fill(padding, 0.0)

        r, w, k, a = (rearrange(x, "b t (h d) -> b t h d", d=self.head_dim) for x in (r, w, k, a))
        v = rearrange(v, "b t (h d) -> b t h d", d=self.head_v_dim)
        # fla's RWKV7 never reads its mode, and runs chunk from RECURRENT_MAX_LEN tokens on.
        mode = select_mode(
            "chunk", seq_len, self.training,
            recurrent_max_len=RECURRENT_MAX_LEN - 1, recurrent_only_in_inference=True,
        )  # fmt: skip
        if mode == "chunk":
            o, recurrent_state = chunk_rwkv7(
                r, w, k, v, -kk, kk * a, scale=1.0,
                initial_state=recurrent_state, output_final_state=use_cache,
                cu_seqlens=cu_seqlens, chunk_size=64, lower_bound=DECAY_BOUND,
            )  # fmt: skip
        else:
            o, recurrent_state = fused_mul_recurrent_rwkv7(
                r, w, k, v, kk, a, scale=1.0,
                initial_state=recurrent_state, output_final_state=use_cache,
                cu_seqlens=cu_seqlens,
            )  # fmt: skip
        update_layer_cache(
            self,
            past_key_values,
            recurrent_state=recurrent_state,
            conv_state=shift_state,
            offset=seq_len,
        )
        o = rearrange(o, "b t h d -> b t (h d)")
        if self.fuse_norm:
            o = self.g_norm(o)
        else:
            o = self.g_norm(o.reshape(batch_size * seq_len, self.value_dim)).reshape(o.shape)
        o = gate_output_correction(o, r, k, self.r_k, v, g)
        return self.o_proj(o), None, past_key_values, v_first
