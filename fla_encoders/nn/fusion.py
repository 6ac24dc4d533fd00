"""Fusion of two branch encodings ``(..., H)`` into one, for the dual encoder."""

from typing import Optional, Tuple

import torch
from torch import nn

from fla_encoders.nn.checks import choice

FUSION_MODES = ("concat", "add", "gated")


class Fusion(nn.Module):
    """``concat`` -> ``(..., 2H)``; ``add`` -> ``(..., H)``; ``gated`` -> ``g * a + (1 - g) * b``
    with ``g = sigmoid(W [a, b] + c)`` of shape ``(..., H)``, the weight of ``a``."""

    def __init__(self, mode: str, hidden_size: int):
        super().__init__()
        self.mode = choice("fusion_mode", mode, FUSION_MODES)
        self.output_dim = 2 * hidden_size if mode == "concat" else hidden_size
        self.gate = nn.Linear(2 * hidden_size, hidden_size) if mode == "gated" else None

    def forward(
        self, a: torch.Tensor, b: torch.Tensor
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """``(fused, gate)``; ``gate`` is None unless the mode is ``gated``."""
        if self.mode == "concat":
            return torch.cat([a, b], -1), None
        if self.mode == "add":
            return a + b, None
        g = torch.sigmoid(self.gate(torch.cat([a, b], -1)))
        return g * a + (1 - g) * b, g
