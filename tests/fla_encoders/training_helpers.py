"""A tiny model and tiny mock splits for the training tests, and a run killed mid-training."""

from typing import Optional, Tuple

import pytest
import torch
from torch import nn

import fla_encoders.training.loop as loop
from fla_encoders.data import (
    BatchTimeSeriesDataset,
    Panel,
    PreparedPanel,
    chronological_splits,
    make_mock_panel,
)
from fla_encoders.training import TrainConfig, fit


class TinyGRU(nn.Module):
    """``(B, T, F) -> ((B, K), {"gate_value": float})``, with dropout to exercise the RNG."""

    def __init__(self, n_features, num_targets, hidden=8):
        super().__init__()
        self.gru = nn.GRU(n_features, hidden, batch_first=True)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(hidden, num_targets)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(self.drop(out[:, -1])), {"gate_value": 0.5}


def tiny_panel() -> Panel:
    return make_mock_panel(seed=0, n_dates=70, n_assets=25, n_features=16)


def tiny_datasets(
    panel: Optional[Panel] = None,
) -> Tuple[PreparedPanel, BatchTimeSeriesDataset, BatchTimeSeriesDataset]:
    """``(prepared, train, valid)`` of ``panel`` (``tiny_panel()`` by default), window 5."""
    prepared = PreparedPanel(panel or tiny_panel())
    splits = chronological_splits(len(prepared.panel.dates), 5, prepared.panel.horizon)
    train = BatchTimeSeriesDataset(prepared, splits["train"], 5, dates_per_batch=4)
    valid = BatchTimeSeriesDataset(prepared, splits["valid"], 5)
    return prepared, train, valid


def fresh_model(prepared: PreparedPanel) -> TinyGRU:
    torch.manual_seed(0)
    return TinyGRU(prepared.n_features, prepared.num_targets)


def fit_killed_after(steps: int, model, train, valid, config, checkpoint) -> None:
    """``fit`` killed (``KeyboardInterrupt``) when it starts training step ``steps + 1``."""
    real_step, calls = loop.train_step, []

    def killed(*args):
        calls.append(1)
        if len(calls) > steps:
            raise KeyboardInterrupt
        return real_step(*args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loop, "train_step", killed)
        with pytest.raises(KeyboardInterrupt):
            fit(model, train, valid, config, checkpoint)


RESUMABLE = TrainConfig(epochs=3, patience=5, checkpoint_every=2)
"""Three epochs, a checkpoint every two steps."""


def interrupted_run(datasets, checkpoint, steps: int) -> TinyGRU:
    """A run of ``RESUMABLE`` killed after ``steps`` steps, saving to ``checkpoint``; returns
    the reference: the same run, uninterrupted."""
    prepared, train, valid = datasets
    reference = fresh_model(prepared)
    fit(reference, train, valid, RESUMABLE)
    fit_killed_after(steps, fresh_model(prepared), train, valid, RESUMABLE, checkpoint)
    return reference


def assert_same_weights(expected: nn.Module, got: nn.Module) -> None:
    """Every tensor of ``got``'s state equals ``expected``'s to the bit."""
    for key, value in expected.state_dict().items():
        assert torch.equal(value, got.state_dict()[key]), key


def rerun_model(prepared: PreparedPanel) -> TinyGRU:
    """A fresh model as a rerun in a new process has it: other RNG state, other weights."""
    torch.manual_seed(123)
    return TinyGRU(prepared.n_features, prepared.num_targets)
