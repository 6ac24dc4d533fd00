"""``PredictionHead``: the MLP from an encoding to the targets (``MyMLP`` in the product's
first documents, kept as an alias)."""

from typing import Optional, Sequence

from torch import nn

from fla_encoders.nn.checks import choice, positive_int
from fla_encoders.nn.init import WeightInitializerMixin
from fla_encoders.nn.norms import FiniteBatchNorm1d

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh}
NORMS = {"layer": nn.LayerNorm, "batch": FiniteBatchNorm1d}


class PredictionHead(nn.Sequential, WeightInitializerMixin):
    """``(B, input_dim) -> (B, output_dim)``: per hidden size, Linear, optional norm
    (``'layer'`` or ``'batch'``, whose running statistics stay finite), activation, dropout;
    then a final Linear."""

    def __init__(
        self,
        input_dim: int,
        hidden_sizes: Sequence[int],
        output_dim: int,
        activation: str = "gelu",
        dropout: float = 0.0,
        norm: Optional[str] = None,
    ):
        choice("activation", activation, sorted(ACTIVATIONS))
        if norm is not None:
            choice("norm", norm, sorted(NORMS))
        layers, width = [], positive_int("input_dim", input_dim)
        for size in hidden_sizes:
            layers.append(nn.Linear(width, positive_int("hidden_sizes[i]", size)))
            if norm is not None:
                layers.append(NORMS[norm](size))
            layers += [ACTIVATIONS[activation](), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, positive_int("output_dim", output_dim)))
        super().__init__(*layers)
        self.init_weights()


MyMLP = PredictionHead
