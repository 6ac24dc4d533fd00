"""``linear``: a linear map of the last time step, the reference a sequence encoder must beat.

It sees only ``x[:, -1]``: on the mock panel the planted reversal term needs the previous step,
so a sequence encoder that learns it beats ``linear`` by construction.
"""

from typing import Any, Dict, Optional, Tuple

import torch
from torch import nn

from fla_encoders.encoders.pooled import PooledEncoder


class LinearEncoder(PooledEncoder):
    """``(B, T, F) -> (B, hidden_size)``: ``Linear(F, hidden_size)`` of the last step, dropout."""

    encoder_name = "linear"

    def __init__(self, n_features: int, hidden_size: int = 256, dropout: float = 0.1):
        super().__init__(n_features)
        self.proj = nn.Linear(n_features, hidden_size)
        self.finish(hidden_size, "last", dropout)

    def hidden_states(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor]
    ) -> Tuple[torch.Tensor, Dict[str, Any]]:
        """``(B, 1, H)``: the last step only (left padding leaves it a token)."""
        return self.proj(x[:, -1:]), {}
