"""``GatedDeltaNetConfig``: fla 0.6.0's fields, names and defaults."""

from __future__ import annotations

from myfla._checks import check_choice
from myfla.models.configuration_utils import FLAConfig, init_arguments

OUTPUT_GATE_ACTIVATIONS = ("swish", "silu", "sigmoid")


class GatedDeltaNetConfig(FLAConfig):
    """A GatedDeltaNet language model: ``num_hidden_layers`` blocks of GatedDeltaNet + GatedMLP."""

    model_type = "gated_deltanet"

    def __init__(
        self,
        attn_mode: str = "chunk",
        hidden_size: int = 2048,
        expand_v: float = 2.0,
        use_gate: bool = True,
        use_short_conv: bool = True,
        allow_neg_eigval: bool = False,
        conv_size: int = 4,
        head_dim: int = 256,
        num_heads: int = 6,
        num_v_heads: int | None = None,
        max_position_embeddings: int = 2048,
        hidden_ratio: int | None = 4,
        intermediate_size: int | None = None,
        hidden_act: str = "swish",
        num_hidden_layers: int = 21,
        norm_eps: float = 1e-6,
        attn: dict | list | None = None,
        use_cache: bool = True,
        pad_token_id: int | None = None,
        bos_token_id: int = 1,
        eos_token_id: int = 2,
        tie_word_embeddings: bool = False,
        initializer_range: float = 0.02,
        fuse_norm: bool = True,
        fuse_swiglu: bool = True,
        fuse_cross_entropy: bool = True,
        fuse_linear_cross_entropy: bool = False,
        use_l2warp: bool = False,
        vocab_size: int = 32000,
        attnres_block_size: int | None = None,
        output_gate_activation: str = "swish",
        **kwargs,
    ):
        check_choice("output_gate_activation", output_gate_activation, OUTPUT_GATE_ACTIVATIONS)
        self._set_fields(init_arguments(locals()), kwargs)


__all__ = ["GatedDeltaNetConfig"]
