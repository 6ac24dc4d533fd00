"""The base of encoders that compute per-step hidden states and pool them: GRU, Transformer."""

import abc
from typing import Any, Dict, Optional, Tuple

import torch
from torch import nn

from fla_encoders.nn.checks import check_input, positive_int
from fla_encoders.nn.init import WeightInitializerMixin
from fla_encoders.nn.pooling import Pooling
from fla_encoders.registry import EncoderOutput, FLAEncoderStrategy


class PooledEncoder(FLAEncoderStrategy, WeightInitializerMixin):
    """``x: (B, T, F) -> (B, hidden_size)``: ``hidden_states`` pooled, then dropout.

    A subclass builds its own modules in ``__init__``, then calls ``finish`` (pooling, dropout,
    ``output_dim``, the init policy) and implements ``hidden_states``.
    """

    encoder_name = ""

    def __init__(self, n_features: int):
        super().__init__()
        self.n_features = positive_int("n_features", n_features)

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

    def forward(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor] = None
    ) -> EncoderOutput:
        """``x: (B, T, F)``, ``attention_mask: (B, T)`` (1 = token, left padding) ->
        ``(encoded (B, hidden_size), info)``."""
        check_input(x, self.n_features, attention_mask)
        h, info = self.hidden_states(x, attention_mask)
        encoded = self.dropout(self.pool(h, attention_mask))
        return encoded, {"encoder": self.encoder_name, **info}
