"""``rwkv7`` (level 1): RWKV7Attention blocks (myfla.layers.RWKV7Attention).

Layer 0 computes ``v_first`` (its values); every later layer takes it as ``v_first=``: the
blocks pass it along (``fla_encoders.encoders.blocks``).
"""

from typing import Optional

from fla_encoders.encoders.blocks import MixerFactory
from fla_encoders.encoders.checks import positive_int
from fla_encoders.encoders.stacked import StackedEncoder


def rwkv7_layers(
    hidden_size: int, num_layers: int, head_dim: Optional[int] = 64, **kwargs
) -> MixerFactory:
    """RWKV7Attention layers of ``head_dim`` (seed: 64) or ``num_heads`` heads, which must
    divide ``hidden_size``; ``kwargs`` go to the layer (``mode``, low-rank sizes, ...)."""
    from myfla.layers import RWKV7Attention

    positive_int("hidden_size", hidden_size)
    if head_dim is not None and hidden_size % positive_int("head_dim", head_dim):
        raise ValueError(f"head_dim={head_dim} must divide hidden_size={hidden_size}")
    num_heads = kwargs.get("num_heads")
    if head_dim is None and hidden_size % positive_int("num_heads", num_heads):
        raise ValueError(f"num_heads={num_heads} must divide hidden_size={hidden_size}")
    options = dict(mode="chunk", head_dim=head_dim)
    options.update(kwargs)
    return lambda layer_idx: RWKV7Attention(
        hidden_size=hidden_size,
        layer_idx=layer_idx,
        num_hidden_layers=num_layers,
        **options,
    )


class RWKV7Encoder(StackedEncoder):
    """``(B, T, F) -> (B, hidden_size)`` through ``num_layers`` RWKV7 blocks.

    ``head_dim`` (or ``num_heads=..., head_dim=None``) and ``layer_kwargs`` go to
    ``RWKV7Attention``.
    """

    encoder_name = "rwkv7"

    def __init__(
        self,
        n_features: int,
        hidden_size: int = 256,
        num_layers: int = 2,
        head_dim: Optional[int] = 64,
        pooling: str = "last",
        dropout: float = 0.1,
        mlp_ratio: int = 2,
        norm_eps: float = 1e-5,
        **layer_kwargs,
    ):
        layers = rwkv7_layers(hidden_size, num_layers, head_dim, **layer_kwargs)
        super().__init__(
            n_features,
            hidden_size,
            num_layers,
            {"rwkv7": layers},
            pooling=pooling,
            dropout=dropout,
            mlp_ratio=mlp_ratio,
            norm_eps=norm_eps,
        )
