"""``gla``: GatedLinearAttention blocks (myfla.layers.GatedLinearAttention)."""

from fla_encoders.encoders.blocks import MixerFactory
from fla_encoders.encoders.checks import positive_int
from fla_encoders.encoders.stacked import StackedEncoder


def gla_layers(
    hidden_size: int, num_heads: int = 4, expand_k: float = 0.5, **kwargs
) -> MixerFactory:
    """GatedLinearAttention layers; ``num_heads`` must divide ``hidden_size * expand_k`` and
    ``hidden_size * expand_v``; ``kwargs`` go to the layer (``expand_v``, ``use_short_conv``,
    ``mode``, ...)."""
    from myfla.layers import GatedLinearAttention

    positive_int("hidden_size", hidden_size)
    positive_int("num_heads", num_heads)
    for name, expand in (("expand_k", expand_k), ("expand_v", kwargs.get("expand_v", 1.0))):
        dim = hidden_size * expand
        if dim != int(dim) or int(dim) % num_heads or dim < num_heads:
            raise ValueError(
                f"num_heads={num_heads} must divide hidden_size * {name} = {dim} (a whole number)"
            )
    options = dict(mode="chunk", expand_k=expand_k, num_heads=num_heads)
    options.update(kwargs)
    return lambda layer_idx: GatedLinearAttention(
        hidden_size=hidden_size, layer_idx=layer_idx, **options
    )


class GLAEncoder(StackedEncoder):
    """``(B, T, F) -> (B, hidden_size)`` through ``num_layers`` GLA blocks; ``layer_kwargs`` go
    to ``GatedLinearAttention``."""

    encoder_name = "gla"

    def __init__(
        self,
        n_features: int,
        hidden_size: int = 256,
        num_layers: int = 2,
        num_heads: int = 4,
        pooling: str = "last",
        dropout: float = 0.1,
        mlp_ratio: int = 2,
        norm_eps: float = 1e-5,
        **layer_kwargs,
    ):
        layers = gla_layers(hidden_size, num_heads, **layer_kwargs)
        super().__init__(
            n_features,
            hidden_size,
            num_layers,
            {"gla": layers},
            pooling=pooling,
            dropout=dropout,
            mlp_ratio=mlp_ratio,
            norm_eps=norm_eps,
        )
