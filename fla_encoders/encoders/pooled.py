"""The base of encoders that compute per-step hidden states and pool them: GRU, Transformer."""

import abc
from typing import Any, Dict, Optional, Tuple

import torch
from torch import nn

from fla_encoders.encoders.base import BuiltinEncoder
from fla_encoders.nn.pooling import Pooling


class PooledEncoder(BuiltinEncoder):
    """``x: (B, T, F) -> (B, hidden_size)``: ``hidden_states`` pooled, then dropout.

    A subclass builds its own modules in ``__init__``, then calls ``finish`` (pooling, dropout,
    ``output_dim``, the init policy) and implements ``hidden_states``.
    """

    def finish(self, hidden_size: int, pooling: str, dropout: float) -> None:
        self.pool = Pooling(pooling, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.output_dim = hidden_size
        self.init_weights()

    @abc.abstractmethod
    def hidden_states(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor]
    ) -> Tuple[torch.Tensor, Dict[str, Any]]:
        """``(h: (B, T, hidden_size), info)`` for ``x: (B, T, F)``."""

    def encode(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor]
    ) -> Tuple[torch.Tensor, Dict[str, Any]]:
        """``(encoded (B, hidden_size), info)``: the hidden states pooled, then dropout."""
        h, info = self.hidden_states(x, attention_mask)
        return self.dropout(self.pool(h, attention_mask)), info
