"""The common shape of the FLA encoders: input projection, pre-norm residual blocks, final norm.

A block is ``h + mixer(norm(h))`` then ``h + mlp(norm(h))``; the token mixer is any myfla layer
with fla's forward (``(o, attentions, past_key_values[, v_first])``).
"""

from typing import Callable, Optional, Tuple

import torch
from torch import nn

from fla_encoders.encoders.checks import positive_int
from fla_encoders.encoders.pooling import Pooling
from myfla.modules import RMSNorm

MixerFactory = Callable[[int], nn.Module]
"""Builds the token mixer of layer ``layer_idx`` (0-based)."""


class ChannelMLP(nn.Sequential):
    """Per-step feed-forward ``(..., H) -> (..., H)``: Linear, GELU, dropout, Linear."""

    def __init__(self, hidden_size: int, ratio: int, dropout: float):
        inner = hidden_size * positive_int("mlp_ratio", ratio)
        super().__init__(
            nn.Linear(hidden_size, inner),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(inner, hidden_size),
        )


class ResidualBlock(nn.Module):
    """Pre-norm residual block over ``h: (B, T, H)``: token mixer, then channel MLP."""

    def __init__(self, mixer: nn.Module, hidden_size: int, mlp_ratio: int, dropout: float, eps):
        super().__init__()
        self.mixer_norm = RMSNorm(hidden_size, eps=eps)
        self.mixer = mixer
        self.mlp_norm = RMSNorm(hidden_size, eps=eps)
        self.mlp = ChannelMLP(hidden_size, mlp_ratio, dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, h: torch.Tensor, v_first: Optional[torch.Tensor] = None, **layer_kwargs
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """``(h, v_first)``: a fourth mixer output (RWKV7's ``v_first``) goes to the next layer."""
        extra = {} if v_first is None else {"v_first": v_first}
        out = self.mixer(self.mixer_norm(h), **layer_kwargs, **extra)
        h = h + self.dropout(out[0])
        h = h + self.dropout(self.mlp(self.mlp_norm(h)))
        return h, out[3] if len(out) > 3 else v_first


class Branch(nn.Module):
    """``(B, T, F) -> (B, T, H)`` hidden states of ``num_layers`` blocks, and their pooling."""

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
        """``x: (B, T, F)`` -> ``(B, T, H)``; ``cache`` (a ``myfla.models.Cache``) is read and
        updated, so that consecutive calls continue one stream."""
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
