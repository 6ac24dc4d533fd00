"""Experiments: configurations (load, override), one run (train, test, save), the ladder's
comparison, its report and plots."""

from fla_encoders.experiments.config import (
    apply_overrides,
    build_model,
    config_names,
    load_config,
    scoped_overrides,
)
from fla_encoders.experiments.run import datasets_for, evaluate_model, load_trained, run_experiment

__all__ = [
    "apply_overrides",
    "build_model",
    "config_names",
    "datasets_for",
    "evaluate_model",
    "load_config",
    "load_trained",
    "run_experiment",
    "scoped_overrides",
]
