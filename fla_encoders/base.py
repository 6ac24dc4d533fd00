"""The abstract base class every encoder derives from."""

import abc
from typing import Any, Dict, Tuple

import torch
from torch import nn


class FLAEncoderStrategy(nn.Module, abc.ABC):
    """An encoder of a batch of sequences: ``x: (B, T, F)`` to ``(encoded, extra_info)``.

    ``encoded`` has shape ``(B, output_dim)``; ``extra_info`` is a dict of monitoring values
    (possibly empty). Subclasses set the integer ``self.output_dim`` in ``__init__`` (after
    ``super().__init__()``) and implement ``forward``; this base class cannot be instantiated.
    """

    output_dim: int

    @abc.abstractmethod
    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Dict[str, Any]]:
        """Encode ``x: (B, T, F)`` into ``(encoded: (B, output_dim), extra_info: dict)``."""
