"""Training: the loop, its settings, the checks before it starts, and its atomic, resumable
checkpoints read back safely."""

from fla_encoders.training.checkpoint import (
    load_if_present,
    load_latest,
    load_safely,
    previous_path,
    save_atomic,
)
from fla_encoders.training.config import TrainConfig
from fla_encoders.training.errors import CheckpointError, CheckpointWarning, TrainingError
from fla_encoders.training.loop import FitResult, fit, masked_mse
from fla_encoders.training.preflight import check_trainable

__all__ = [
    "CheckpointError",
    "CheckpointWarning",
    "FitResult",
    "TrainConfig",
    "TrainingError",
    "check_trainable",
    "fit",
    "load_if_present",
    "load_latest",
    "load_safely",
    "masked_mse",
    "previous_path",
    "save_atomic",
]
