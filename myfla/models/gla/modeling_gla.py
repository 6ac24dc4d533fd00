"""The GLA language model (``fla.models.gla``), with fla 0.6.0's parameters."""

from __future__ import annotations

from myfla.layers import GatedLinearAttention
from myfla.models.gla.configuration_gla import GLAConfig
from myfla.models.modeling_utils import (
    FLAForCausalLM,
    FLAModel,
    FLAPreTrainedModel,
    GatedMLPBlock,
)


class GLABlock(GatedMLPBlock):
    """A GatedLinearAttention layer and a GatedMLP, each behind an RMS norm and a residual."""

    def __init__(self, config: GLAConfig, layer_idx: int) -> None:
        attn = GatedLinearAttention(
            mode=config.attn_mode,
            hidden_size=config.hidden_size,
            expand_k=config.expand_k,
            expand_v=config.expand_v,
            num_heads=config.num_heads,
            num_kv_heads=config.num_kv_heads,
            feature_map=config.feature_map,
            use_short_conv=config.use_short_conv,
            conv_size=config.conv_size,
            use_output_gate=config.use_output_gate,
            gate_fn=config.hidden_act,
            elementwise_affine=config.elementwise_affine,
            norm_eps=config.norm_eps,
            clamp_min=config.clamp_min,
            fuse_norm=config.fuse_norm,
            layer_idx=layer_idx,
        )
        super().__init__(config, layer_idx, attn)


class GLAPreTrainedModel(FLAPreTrainedModel):
    config_class = GLAConfig
    _no_split_modules = ["GLABlock"]


class GLAModel(GLAPreTrainedModel, FLAModel):
    block_class = GLABlock


class GLAForCausalLM(GLAPreTrainedModel, FLAForCausalLM):
    model_class = GLAModel


__all__ = ["GLAForCausalLM", "GLAModel", "GLAPreTrainedModel"]
