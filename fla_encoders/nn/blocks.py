"""Pre-norm residual blocks: ``h + mixer(norm(h))`` then ``h + mlp(norm(h))``.

The token mixer is any myfla layer with fla's forward (``(o, attentions, past_key_values[,
v_first])``).
"""

from typing import Optional, Tuple

import torch
from torch import nn

from fla_encoders.nn.checks import positive_int
from myfla.modules import RMSNorm


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
