"""The RWKV-7 language model (``fla.models.rwkv7``), with fla 0.6.0's parameters."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from transformers.modeling_layers import GradientCheckpointingLayer

from myfla.layers import RWKV7Attention
from myfla.models.cache_utils import Cache
from myfla.models.modeling_utils import (
    FLAForCausalLM,
    FLAModel,
    FLAPreTrainedModel,
    add_and_norm,
    model_norm,
)
from myfla.models.rwkv7.configuration_rwkv7 import RWKV7Config
from myfla.modules import LayerNorm
from myfla.modules.activations import ACT2FN
from myfla.modules.token_shift import token_shift


def rwkv7_norm(config: RWKV7Config) -> nn.Module:
    return model_norm(config, LayerNorm, nn.LayerNorm, bias=config.norm_bias)


class RWKV7FeedForward(nn.Module):
    """RWKV-7 channel mixing: ``value(act(key(x + x_k * (x_{t-1} - x))))`` on ``[B, T, D]``.

    Its token-shift state is the cache's ``ffn_state`` ``[N, D]``. Initialised as fla does:
    ``x_k`` by depth, ``key`` orthogonal, ``value`` zero.
    """

    def __init__(
        self,
        hidden_size: int,
        hidden_ratio: int | None = None,
        intermediate_size: int | None = None,
        hidden_act: str = "sqrelu",
        layer_idx: int | None = None,
        num_hidden_layers: int | None = None,
    ) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.hidden_ratio = 4 if hidden_ratio is None else hidden_ratio
        if intermediate_size is None:
            intermediate_size = 32 * math.ceil(int(hidden_size * self.hidden_ratio) / 32)
        self.intermediate_size = intermediate_size
        self.time_shift = nn.ZeroPad2d((0, 0, 1, -1))
        self.x_k = nn.Parameter(torch.zeros(hidden_size))
        self.key = nn.Linear(hidden_size, intermediate_size, bias=False)
        self.value = nn.Linear(intermediate_size, hidden_size, bias=False)
        self.act_fn = ACT2FN[hidden_act]
        self.layer_idx = layer_idx
        self.num_hidden_layers = num_hidden_layers
        self._initialize_weights()
        for module in self.modules():
            module._in_rwkv_module = True

    @torch.no_grad()
    def _initialize_weights(self) -> None:
        if self.layer_idx is not None and self.num_hidden_layers is not None:
            ratio_1_to_almost0 = 1.0 - self.layer_idx / self.num_hidden_layers
            position = torch.arange(self.hidden_size, dtype=torch.float32) / self.hidden_size
            self.x_k.copy_(1.0 - position ** (ratio_1_to_almost0**4))
        weight = self.key.weight.float()
        nn.init.orthogonal_(weight)
        self.key.weight.copy_(weight)
        self.value.weight.zero_()

    def forward(
        self,
        x: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        state: Cache | None = None,
        cu_seqlens: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> tuple[torch.Tensor, Cache | None]:
        """``x [B, T, D]``, ``attention_mask [B, >= T]`` -> ``(y [B, T, D], state)``."""
        if attention_mask is not None:
            x = x * attention_mask[:, -x.shape[-2] :, None].to(x.dtype)
        shift_state = None if state is None else state[self.layer_idx]["ffn_state"]
        delta, shift_state = token_shift(x, cu_seqlens, cache=shift_state, output_cache=True)
        if state is not None:
            state.update(ffn_state=shift_state, layer_idx=self.layer_idx, offset=0)
        return self.value(self.act_fn(self.key(x.addcmul(delta, self.x_k)))), state


class RWKV7Block(GradientCheckpointingLayer):
    """Time mixing then channel mixing, each behind a LayerNorm and a residual; layer 0 first
    normalises its input (``pre_norm``) when ``norm_first``. ``carry`` is ``v_first``."""

    def __init__(self, config: RWKV7Config, layer_idx: int) -> None:
        super().__init__()
        self.config = config
        self.layer_idx = layer_idx
        if config.norm_first and layer_idx == 0:
            self.pre_norm = rwkv7_norm(config)
        self.attn_norm = rwkv7_norm(config)
        self.attn = RWKV7Attention(
            mode=config.attn_mode,
            hidden_size=config.hidden_size,
            head_dim=config.head_dim,
            num_heads=config.num_heads,
            decay_low_rank_dim=config.decay_low_rank_dim,
            gate_low_rank_dim=config.gate_low_rank_dim,
            a_low_rank_dim=config.a_low_rank_dim,
            v_low_rank_dim=config.v_low_rank_dim,
            norm_eps=config.norm_eps,
            fuse_norm=config.fuse_norm,
            layer_idx=layer_idx,
            value_dim=config.value_dim[layer_idx],
            num_hidden_layers=config.num_hidden_layers,
        )
        self.ffn_norm = rwkv7_norm(config)
        self.ffn = RWKV7FeedForward(
            hidden_size=config.hidden_size,
            hidden_ratio=config.hidden_ratio,
            intermediate_size=config.intermediate_size,
            hidden_act=config.hidden_act,
            layer_idx=layer_idx,
            num_hidden_layers=config.num_hidden_layers,
        )

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        past_key_values: Cache | None = None,
        use_cache: bool | None = False,
        output_attentions: bool | None = False,
        carry: torch.Tensor | None = None,
        cu_seqlens: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> tuple[torch.Tensor, Any, Cache | None, torch.Tensor]:
        residual = self.pre_norm(hidden_states) if hasattr(self, "pre_norm") else hidden_states
        hidden_states, attentions, past_key_values, v_first = self.attn(
            hidden_states=self.attn_norm(residual),
            attention_mask=attention_mask,
            past_key_values=past_key_values,
            use_cache=use_cache,
            output_attentions=output_attentions,
            v_first=carry,
            cu_seqlens=cu_seqlens,
            **kwargs,
        )
        hidden_states, residual = add_and_norm(
            self.ffn_norm, self.config.fuse_norm, hidden_states, residual
        )
        hidden_states, past_key_values = self.ffn(
            hidden_states, attention_mask, past_key_values, cu_seqlens
        )
        return residual + hidden_states, attentions, past_key_values, v_first


class RWKV7PreTrainedModel(FLAPreTrainedModel):
    config_class = RWKV7Config
    _no_split_modules = ["RWKV7Block"]
    _skip_keys_device_placement = ["past_key_values"]

    def _init_weights(
        self,
        module: nn.Module,
        rescale_prenorm_residual: bool = True,
        num_residuals_per_layer: int = 2,
    ) -> None:
        """fla's RWKV-7 initialisation; the residual projections rescaled by default."""
        strategy = "rescale" if rescale_prenorm_residual else None
        super()._init_weights(module, strategy, num_residuals_per_layer)

    def _init_module(self, module: nn.Module) -> None:
        """Embeddings ~ U(-1e-4, 1e-4), ``lm_head`` orthogonal with gain ``0.5 * max(1,
        sqrt(vocab / hidden))``; what the RWKV modules initialise themselves is left alone."""
        if isinstance(module, nn.Embedding):
            if not getattr(module.weight, "_is_hf_initialized", False):
                nn.init.uniform_(module.weight, a=-1e-4, b=1e-4)
        elif module is getattr(self, "lm_head", None):
            if not getattr(module.weight, "_is_hf_initialized", False):
                ratio = self.config.vocab_size / self.config.hidden_size
                gain = 0.5 * math.sqrt(ratio) if ratio > 1 else 0.5
                weight = module.weight.float()
                nn.init.orthogonal_(weight, gain=gain)
                with torch.no_grad():
                    module.weight.copy_(weight)
        elif not getattr(module, "_in_rwkv_module", False):
            super()._init_module(module)


class RWKV7Model(RWKV7PreTrainedModel, FLAModel):
    block_class = RWKV7Block

    def final_norm(self, config: RWKV7Config) -> nn.Module:
        return rwkv7_norm(config)

    def initial_carry(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """``v_first``: zeros, replaced by layer 0's values."""
        return torch.zeros_like(hidden_states)


class RWKV7ForCausalLM(RWKV7PreTrainedModel, FLAForCausalLM):
    model_class = RWKV7Model


__all__ = ["RWKV7FeedForward", "RWKV7ForCausalLM", "RWKV7Model", "RWKV7PreTrainedModel"]
