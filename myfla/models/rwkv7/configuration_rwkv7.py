"""``RWKV7Config``: fla 0.6.0's fields, names and defaults."""

from __future__ import annotations

from myfla.models.configuration_utils import FLAConfig, init_arguments


def layer_value_dims(value_dim, hidden_size: int, num_hidden_layers: int) -> list:
    """fla's ``value_dim``: ``None`` (``hidden_size``), one int or one per layer; each a multiple
    of ``hidden_size``. Returns one per layer."""
    if value_dim is None:
        return [hidden_size] * num_hidden_layers
    dims = [value_dim] * num_hidden_layers if isinstance(value_dim, int) else list(value_dim)
    if len(dims) != num_hidden_layers:
        raise ValueError(
            f"value_dim must have one entry per layer ({num_hidden_layers}), got {len(dims)}"
        )
    for dim in dims:
        if dim < hidden_size or dim % hidden_size:
            raise ValueError(f"value_dim must be a multiple of hidden_size {hidden_size}: {dim}")
    return dims


class RWKV7Config(FLAConfig):
    """An RWKV-7 language model: ``num_hidden_layers`` blocks of RWKV7 time and channel mixing.

    One of ``head_dim`` and ``num_heads`` gives the other; ``value_dim`` is kept per layer.
    """

    model_type = "rwkv7"

    def __init__(
        self,
        attn_mode: str = "chunk",
        hidden_size: int = 2048,
        hidden_ratio: int | None = 4,
        intermediate_size: int | None = None,
        num_hidden_layers: int = 24,
        head_dim: int | None = 64,
        num_heads: int | None = None,
        decay_low_rank_dim: int = 64,
        gate_low_rank_dim: int = 128,
        a_low_rank_dim: int = 64,
        v_low_rank_dim: int = 16,
        hidden_act: str = "sqrelu",
        max_position_embeddings: int = 2048,
        norm_first: bool = True,
        norm_bias: bool = True,
        norm_eps: float = 1e-5,
        attn: dict | list | None = None,
        use_cache: bool = True,
        pad_token_id: int | None = None,
        bos_token_id: int = 1,
        eos_token_id: int = 2,
        tie_word_embeddings: bool = False,
        initializer_range: float = 0.02,
        fuse_norm: bool = True,
        fuse_cross_entropy: bool = True,
        fuse_linear_cross_entropy: bool = False,
        use_l2warp: bool = True,
        vocab_size: int = 32000,
        value_dim: int | list | None = None,
        **kwargs,
    ):
        if head_dim is None and num_heads is not None:
            head_dim = hidden_size // num_heads
        elif head_dim is not None and num_heads is None:
            num_heads = hidden_size // head_dim
        value_dim = layer_value_dims(value_dim, hidden_size, num_hidden_layers)
        self._set_fields(init_arguments(locals()), kwargs)


__all__ = ["RWKV7Config"]
