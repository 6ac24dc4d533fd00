"""An example fla-encoders plugin: one encoder, registered by its entry point only."""

from typing import Any, Dict, Tuple

import torch
from torch import nn

from fla_encoders import FLAEncoderStrategy


class MeanPoolEncoder(FLAEncoderStrategy):
    """Projects each time step to ``hidden_size`` and averages over time.

    ``x: (B, T, n_features)`` -> ``encoded: (B, hidden_size)``; ``extra_info["time_steps"]`` is T.
    """

    def __init__(self, n_features: int, hidden_size: int = 32):
        super().__init__()
        self.proj = nn.Linear(n_features, hidden_size)
        self.output_dim = hidden_size

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Dict[str, Any]]:
        return self.proj(x).mean(dim=1), {"time_steps": x.shape[1]}
