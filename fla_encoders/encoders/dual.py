"""``dual`` (level 3): an RWKV7 branch and a GatedDeltaNet branch over the same input, fused."""

from typing import Any, Dict, Optional

from fla_encoders.encoders.stacked import StackedEncoder
from fla_encoders.nn.checks import choice
from fla_encoders.nn.fusion import FUSION_MODES


class DualEncoder(StackedEncoder):
    """``(B, T, F) -> (B, 2H)`` (``fusion_mode='concat'``) or ``(B, H)`` (``'add'``, ``'gated'``).

    Each branch is a full ``rwkv7`` / ``gated_deltanet`` stack, pooled, then fused. With
    ``'gated'``, ``info['gate_value']`` is the mean gate in [0, 1] (the RWKV7 branch's weight)
    and ``info['gate_value_per_sample']`` its mean per sample ``(B,)``. ``rwkv7_kwargs`` /
    ``gated_deltanet_kwargs`` go to each branch's layers.
    """

    encoder_name = "dual"

    def __init__(
        self,
        n_features: int,
        hidden_size: int = 256,
        num_layers: int = 2,
        fusion_mode: str = "gated",
        rwkv7_kwargs: Optional[Dict[str, Any]] = None,
        gated_deltanet_kwargs: Optional[Dict[str, Any]] = None,
        pooling: str = "last",
        dropout: float = 0.1,
        mlp_ratio: int = 2,
        norm_eps: float = 1e-5,
    ):
        choice("fusion_mode", fusion_mode, FUSION_MODES)
        super().__init__(
            n_features,
            {"rwkv7": rwkv7_kwargs or {}, "gated_deltanet": gated_deltanet_kwargs or {}},
            hidden_size,
            num_layers,
            fusion_mode=fusion_mode,
            pooling=pooling,
            dropout=dropout,
            mlp_ratio=mlp_ratio,
            norm_eps=norm_eps,
        )
