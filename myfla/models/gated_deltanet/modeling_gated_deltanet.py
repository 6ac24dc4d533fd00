"""The GatedDeltaNet language model (``fla.models.gated_deltanet``), fla 0.6.0's parameters."""

from __future__ import annotations

import math

import torch
from torch import nn

from myfla.layers import GatedDeltaNet
from myfla.models.gated_deltanet.configuration_gated_deltanet import GatedDeltaNetConfig
from myfla.models.modeling_utils import (
    FLAForCausalLM,
    FLAModel,
    FLAPreTrainedModel,
    GatedMLPBlock,
)


class GatedDeltaNetBlock(GatedMLPBlock):
    """A GatedDeltaNet layer and a GatedMLP, each behind an RMS norm and a residual."""

    def __init__(self, config: GatedDeltaNetConfig, layer_idx: int) -> None:
        attn = GatedDeltaNet(
            hidden_size=config.hidden_size,
            expand_v=config.expand_v,
            head_dim=config.head_dim,
            num_heads=config.num_heads,
            num_v_heads=config.num_v_heads,
            mode=config.attn_mode,
            use_gate=config.use_gate,
            use_short_conv=config.use_short_conv,
            allow_neg_eigval=config.allow_neg_eigval,
            conv_size=config.conv_size,
            layer_idx=layer_idx,
            norm_eps=config.norm_eps,
            output_gate_activation=config.output_gate_activation,
        )
        super().__init__(config, layer_idx, attn)


class GatedDeltaNetPreTrainedModel(FLAPreTrainedModel):
    config_class = GatedDeltaNetConfig
    _no_split_modules = ["GatedDeltaNetBlock"]

    def _init_module(self, module: nn.Module) -> None:
        """The layers' decays as GatedDeltaNet makes them (parameters already loaded are kept);
        other modules as :class:`FLAPreTrainedModel`."""
        if not isinstance(module, GatedDeltaNet):
            super()._init_module(module)
            return
        with torch.no_grad():
            if not getattr(module.A_log, "_is_hf_initialized", False):
                module.A_log.copy_(torch.empty_like(module.A_log).uniform_(0, 16).log())
            if not getattr(module.dt_bias, "_is_hf_initialized", False):
                low, high = math.log(1e-3), math.log(0.1)
                dt = (torch.rand_like(module.dt_bias) * (high - low) + low).exp().clamp_min(1e-4)
                module.dt_bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # softplus^-1
        module.A_log._no_weight_decay = True
        module.dt_bias._no_weight_decay = True


class GatedDeltaNetModel(GatedDeltaNetPreTrainedModel, FLAModel):
    block_class = GatedDeltaNetBlock


class GatedDeltaNetForCausalLM(GatedDeltaNetPreTrainedModel, FLAForCausalLM):
    model_class = GatedDeltaNetModel


__all__ = ["GatedDeltaNetForCausalLM", "GatedDeltaNetModel", "GatedDeltaNetPreTrainedModel"]
