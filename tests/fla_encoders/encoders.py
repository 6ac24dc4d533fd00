"""Encoders defined for the tests (the package registers none of its own yet)."""

from torch import nn

from fla_encoders import FLAEncoderStrategy


def target(name: str) -> str:
    """The entry-point value ``module:name`` naming ``name`` in this module."""
    return f"{__name__}:{name}"


class LastStep(FLAEncoderStrategy):
    """Projects the last time step: ``(B, T, F) -> (B, hidden_size)``."""

    def __init__(self, n_features: int = 3, hidden_size: int = 4):
        super().__init__()
        self.proj = nn.Linear(n_features, hidden_size)
        self.output_dim = hidden_size

    def forward(self, x):
        return self.proj(x[:, -1]), {"time_steps": x.shape[1]}


class MeanPool(LastStep):
    """Projects the mean over time."""

    def forward(self, x):
        return self.proj(x.mean(dim=1)), {}


class NoOutputDim(FLAEncoderStrategy):
    """Forgets to set ``output_dim``."""

    def forward(self, x):
        return x[:, -1], {}


class NotAnEncoder(nn.Module):
    """An nn.Module that is not a FLAEncoderStrategy."""
