"""The base of every built-in encoder: its input checked and its padding zeroed in one place
(``fla_encoders.nn.checks.prepare_input``), an empty batch answered without running a layer."""

import abc
from typing import Any, Dict, Optional, Tuple

import torch

from fla_encoders.nn.checks import positive_int, prepare_input
from fla_encoders.nn.init import WeightInitializerMixin
from fla_encoders.registry import EncoderOutput, FLAEncoderStrategy


class BuiltinEncoder(FLAEncoderStrategy, WeightInitializerMixin):
    """``x: (B, T, F) -> (encoded (B, output_dim), info)``: ``x`` and ``attention_mask`` checked
    (a ``ValueError`` naming them: shapes, ``T = 0``, a mask that is not 0/1 left padding with
    a token per row, NaN or Inf at a token), the padded steps zeroed, then ``encode``; ``B = 0``
    gives ``(0, output_dim)``. ``info["encoder"]`` is ``encoder_name``.

    A subclass sets ``output_dim`` in ``__init__`` and implements ``encode``.
    """

    encoder_name = ""
    checks_input = True

    def __init__(self, n_features: int):
        super().__init__()
        self.n_features = positive_int("n_features", n_features)

    @abc.abstractmethod
    def encode(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor]
    ) -> Tuple[torch.Tensor, Dict[str, Any]]:
        """``(encoded (B, output_dim), info)`` of a checked ``x: (B, T, F)``, ``B >= 1``, whose
        padded steps are 0."""

    def forward(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor] = None
    ) -> EncoderOutput:
        """``x: (B, T, F)``, ``attention_mask: (B, T)`` (1 = token, left padding) ->
        ``(encoded (B, output_dim), info)``."""
        x = prepare_input(x, self.n_features, attention_mask)
        if not len(x):
            return x.new_zeros((0, self.output_dim)), {"encoder": self.encoder_name}
        encoded, info = self.encode(x, attention_mask)
        return encoded, {"encoder": self.encoder_name, **info}
