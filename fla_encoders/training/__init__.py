"""Training: the loop, its settings and its atomic, resumable checkpoints."""

from fla_encoders.training.checkpoint import load_if_present, save_atomic
from fla_encoders.training.config import TrainConfig
from fla_encoders.training.loop import FitResult, fit, masked_mse

__all__ = [
    "FitResult",
    "TrainConfig",
    "fit",
    "load_if_present",
    "masked_mse",
    "save_atomic",
]
