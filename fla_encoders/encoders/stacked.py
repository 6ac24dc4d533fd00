"""The myfla encoders: branches of pre-norm residual blocks around a myfla token mixer, pooled,
and fused when there are two.

``MIXERS`` is the table of token mixers: ``gated_deltanet`` (level 2), ``gla`` and ``rwkv7``
(level 1) are one branch of that mixer each; ``dual`` (level 3, ``fla_encoders.encoders.dual``)
is an RWKV7 and a GatedDeltaNet branch, fused.
"""

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple, Type

import torch
from torch import nn

from fla_encoders.encoders.base import BuiltinEncoder
from fla_encoders.nn.blocks import ResidualBlock
from fla_encoders.nn.checks import head_dim_for, positive_int
from fla_encoders.nn.fusion import Fusion
from fla_encoders.nn.pooling import Pooling
from myfla.layers import GatedDeltaNet, GatedLinearAttention, RWKV7Attention
from myfla.models import Cache
from myfla.modules import RMSNorm

MixerFactory = Callable[[int], nn.Module]
"""Builds the token mixer of layer ``layer_idx`` (0-based)."""


@dataclass(frozen=True)
class Mixer:
    """A myfla layer as token mixer: its class, the encoders' defaults for its arguments, and
    ``complete(hidden_size, num_layers, options)``, the arguments derived from the others."""

    layer: Type[nn.Module]
    defaults: Dict[str, Any]
    complete: Callable[[int, int, Dict[str, Any]], Dict[str, Any]] = field(
        default=lambda hidden_size, num_layers, options: {}
    )

    def factory(
        self, name: str, hidden_size: int, num_layers: int, kwargs: Dict[str, Any]
    ) -> MixerFactory:
        """Layers of ``hidden_size`` with the defaults, then ``kwargs`` (refused by name when the
        layer has no such argument, or when the encoder sets it)."""
        accepted = set(inspect.signature(self.layer).parameters) - {"kwargs", "self"}
        owned = {"hidden_size", "layer_idx", "num_hidden_layers"}
        for key in sorted(kwargs):
            if key in owned:
                raise ValueError(f"{name}: {key!r} is set by the encoder, not by layer arguments")
            if key not in accepted:
                raise ValueError(
                    f"{name}: unknown layer argument {key!r}; {self.layer.__name__} takes "
                    f"{', '.join(sorted(accepted - owned))}"
                )
        options = {**self.defaults, **kwargs}
        options.update(self.complete(positive_int("hidden_size", hidden_size), num_layers, options))
        return lambda layer_idx: self.layer(hidden_size=hidden_size, layer_idx=layer_idx, **options)


MIXERS: Dict[str, Mixer] = {
    "gated_deltanet": Mixer(
        GatedDeltaNet,
        dict(
            num_heads=2,
            head_dim=None,
            allow_neg_eigval=True,
            use_gate=True,
            use_short_conv=True,
            conv_size=4,
            mode="chunk",
        ),
        lambda hidden, _, options: {
            "head_dim": head_dim_for(hidden, options["num_heads"], options["head_dim"])
        },
    ),
    "gla": Mixer(GatedLinearAttention, dict(num_heads=4, expand_k=0.5, mode="chunk")),
    "rwkv7": Mixer(
        RWKV7Attention,
        dict(head_dim=64, mode="chunk"),
        lambda _, num_layers, options: {"num_hidden_layers": num_layers},
    ),
}


class Branch(nn.Module):
    """``x: (B, T, F) -> (B, T, H)``: ``Linear(F, H)``, ``num_layers`` residual blocks around the
    mixers of ``make_mixer``, RMSNorm; ``pool`` pools the result."""

    def __init__(
        self,
        n_features: int,
        hidden_size: int,
        num_layers: int,
        make_mixer: MixerFactory,
        pooling: str,
        mlp_ratio: int,
        dropout: float,
        norm_eps: float,
    ):
        super().__init__()
        self.in_proj = nn.Linear(positive_int("n_features", n_features), hidden_size)
        self.blocks = nn.ModuleList(
            ResidualBlock(make_mixer(i), hidden_size, mlp_ratio, dropout, norm_eps)
            for i in range(positive_int("num_layers", num_layers))
        )
        self.norm = RMSNorm(hidden_size, eps=norm_eps)
        self.pool = Pooling(pooling, hidden_size)

    def forward(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor] = None, cache=None
    ) -> torch.Tensor:
        """``x: (B, T, F)`` -> ``(B, T, H)``; a ``cache`` (``myfla.models.Cache``) collects each
        layer's final state."""
        h, v_first = self.in_proj(x), None
        for block in self.blocks:
            h, v_first = block(
                h,
                v_first,
                attention_mask=attention_mask,
                past_key_values=cache,
                use_cache=cache is not None,
            )
        return self.norm(h)


def state_norms(cache: Cache, prefix: str) -> Dict[str, torch.Tensor]:
    """Mean Frobenius norm over sequences of each layer's recurrent state ``(L,)``, and their
    mean ``()``."""
    norms = [
        layer["recurrent_state"].detach().flatten(1).norm(dim=1).mean()
        for layer in cache
        if layer is not None and layer["recurrent_state"] is not None
    ]
    if not norms:
        return {}
    per_layer = torch.stack(norms)
    return {f"{prefix}state_norm": per_layer.mean(), f"{prefix}state_norm_per_layer": per_layer}


class StackedEncoder(BuiltinEncoder):
    """``x: (B, T, F) -> (B, output_dim)`` through one branch per entry of ``branches``
    (mixer name in ``MIXERS`` -> that mixer's layer arguments).

    One branch gives ``(B, hidden_size)``; two are fused by ``fusion_mode``
    (``fla_encoders.nn.fusion``). Monitoring adds each branch's ``state_norm`` (prefixed by the
    branch name when there are two) and ``state_norm_per_layer``; gated fusion always reports
    ``gate_value`` ``()`` and ``gate_value_per_sample`` ``(B,)``.
    """

    def __init__(
        self,
        n_features: int,
        branches: Dict[str, Dict[str, Any]],
        hidden_size: int = 256,
        num_layers: int = 2,
        fusion_mode: Optional[str] = None,
        pooling: str = "last",
        dropout: float = 0.1,
        mlp_ratio: int = 2,
        norm_eps: float = 1e-5,
    ):
        super().__init__(n_features)
        factories = {
            name: MIXERS[name].factory(name, hidden_size, num_layers, kwargs)
            for name, kwargs in branches.items()
        }
        self.branches = nn.ModuleDict(
            (
                name,
                Branch(
                    n_features,
                    hidden_size,
                    num_layers,
                    factory,
                    pooling,
                    mlp_ratio,
                    dropout,
                    norm_eps,
                ),
            )
            for name, factory in factories.items()
        )
        self.fusion = None if fusion_mode is None else Fusion(fusion_mode, hidden_size)
        self.output_dim = hidden_size if self.fusion is None else self.fusion.output_dim
        self.dropout = nn.Dropout(dropout)
        self.init_weights()

    def encode(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor]
    ) -> Tuple[torch.Tensor, Dict[str, Any]]:
        """``(encoded (B, output_dim), info)``: each branch pooled, fused, then dropout."""
        pooled: List[torch.Tensor] = []
        info: Dict[str, Any] = {}
        for name, branch in self.branches.items():
            cache = Cache() if self.monitoring else None
            pooled.append(branch.pool(branch(x, attention_mask, cache), attention_mask))
            if cache is not None:
                info.update(state_norms(cache, f"{name}_" if len(self.branches) > 1 else ""))
        if self.fusion is None:
            return self.dropout(pooled[0]), info
        fused, gate = self.fusion(*pooled)
        if gate is not None:
            per_sample = gate.detach().flatten(1).mean(1)
            info.update(gate_value=per_sample.mean(), gate_value_per_sample=per_sample)
        return self.dropout(fused), info


def one_mixer_encoder(mixer: str, class_name: str) -> Type[StackedEncoder]:
    """The encoder registered as ``mixer``: one branch of ``MIXERS[mixer]`` blocks."""

    def __init__(
        self,
        n_features: int,
        hidden_size: int = 256,
        num_layers: int = 2,
        pooling: str = "last",
        dropout: float = 0.1,
        mlp_ratio: int = 2,
        norm_eps: float = 1e-5,
        **layer_kwargs: Any,
    ):
        StackedEncoder.__init__(
            self,
            n_features,
            {mixer: layer_kwargs},
            hidden_size,
            num_layers,
            pooling=pooling,
            dropout=dropout,
            mlp_ratio=mlp_ratio,
            norm_eps=norm_eps,
        )

    layer = MIXERS[mixer].layer.__name__
    doc = (
        f"``(B, T, F) -> (B, hidden_size)`` through ``num_layers`` {layer} blocks; "
        f"``layer_kwargs`` go to ``{layer}`` (encoder defaults: ``MIXERS[{mixer!r}]``)."
    )
    namespace = {"__init__": __init__, "__doc__": doc, "encoder_name": mixer}
    namespace["__module__"] = __name__
    cls = type(class_name, (StackedEncoder,), namespace)
    cls.__qualname__ = class_name
    return cls


GatedDeltaNetEncoder = one_mixer_encoder("gated_deltanet", "GatedDeltaNetEncoder")
GLAEncoder = one_mixer_encoder("gla", "GLAEncoder")
RWKV7Encoder = one_mixer_encoder("rwkv7", "RWKV7Encoder")
