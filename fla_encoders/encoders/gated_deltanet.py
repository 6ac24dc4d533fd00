"""``gated_deltanet`` (level 2): GatedDeltaNet blocks (myfla.layers.GatedDeltaNet)."""

from typing import Optional

from fla_encoders.encoders.blocks import MixerFactory
from fla_encoders.encoders.checks import head_dim_for
from fla_encoders.encoders.stacked import StackedEncoder


def gated_deltanet_layers(
    hidden_size: int, num_heads: int = 2, head_dim: Optional[int] = None, **kwargs
) -> MixerFactory:
    """GatedDeltaNet layers with the seed's defaults (``allow_neg_eigval``, gate, short conv);
    ``head_dim`` defaults to ``hidden_size // num_heads``; ``kwargs`` go to the layer."""
    from myfla.layers import GatedDeltaNet

    head_dim = head_dim_for(hidden_size, num_heads, head_dim)
    options = dict(
        allow_neg_eigval=True, use_gate=True, use_short_conv=True, conv_size=4, mode="chunk"
    )
    options.update(kwargs)
    return lambda layer_idx: GatedDeltaNet(
        hidden_size=hidden_size,
        num_heads=num_heads,
        head_dim=head_dim,
        layer_idx=layer_idx,
        **options,
    )


class GatedDeltaNetEncoder(StackedEncoder):
    """``(B, T, F) -> (B, hidden_size)`` through ``num_layers`` GatedDeltaNet blocks.

    ``layer_kwargs`` go to ``GatedDeltaNet`` (``allow_neg_eigval``, ``use_gate``,
    ``use_short_conv``, ``conv_size``, ``expand_v``, ``mode``, ...; seed defaults as above).
    """

    encoder_name = "gated_deltanet"

    def __init__(
        self,
        n_features: int,
        hidden_size: int = 256,
        num_layers: int = 2,
        num_heads: int = 2,
        head_dim: Optional[int] = None,
        pooling: str = "last",
        dropout: float = 0.1,
        mlp_ratio: int = 2,
        norm_eps: float = 1e-5,
        **layer_kwargs,
    ):
        layers = gated_deltanet_layers(hidden_size, num_heads, head_dim, **layer_kwargs)
        super().__init__(
            n_features,
            hidden_size,
            num_layers,
            {"gated_deltanet": layers},
            pooling=pooling,
            dropout=dropout,
            mlp_ratio=mlp_ratio,
            norm_eps=norm_eps,
        )
