"""Training that cannot give a validated model fails, naming why: refused before it starts
(epochs, labels that give no IC), stopped on a loss that is not finite, failed when no epoch
gave a validation IC; the command line exits 1 with the message."""

import dataclasses
import json

import pytest
import torch
from torch import nn

from fla_encoders import FLAEncoderFactory, FLAEncoderStrategy
from fla_encoders.cli import main
from fla_encoders.training import TrainConfig, TrainingError, fit, load_if_present
from tests.fla_encoders.test_compare import TINY
from tests.fla_encoders.training_helpers import fresh_model, tiny_datasets, tiny_panel

TRAIN = ["--log-level", "WARNING", "train", "--config", "baseline_gru"]


@pytest.fixture(scope="module")
def datasets():
    return tiny_datasets()


def with_labels(edit):
    """Tiny datasets whose panel labels are ``edit(labels)``."""
    panel = tiny_panel()
    return tiny_datasets(dataclasses.replace(panel, labels=edit(panel.labels.clone())))


def one_asset(labels):
    labels[:, 1:] = float("nan")
    return labels


def constant(labels):
    return torch.where(torch.isfinite(labels), torch.ones_like(labels), labels)


def blank(labels):
    return torch.full_like(labels, float("nan"))


@pytest.mark.parametrize("epochs", [0, -1])
def test_fewer_than_one_epoch_is_refused_naming_the_setting(datasets, epochs):
    prepared, train, valid = datasets
    with pytest.raises(TrainingError, match=f"training.epochs must be an int >= 1, got {epochs}"):
        fit(fresh_model(prepared), train, valid, TrainConfig(epochs=epochs))


@pytest.mark.parametrize(
    "edit, reason",
    [
        (one_asset, "the validation split cannot give an IC"),
        (constant, "the validation split cannot give an IC"),
        (blank, "the training split holds no finite label"),
    ],
)
def test_labels_that_cannot_give_an_ic_are_refused_before_training(edit, reason):
    prepared, train, valid = with_labels(edit)
    model = fresh_model(prepared)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(TrainingError, match=reason):
        fit(model, train, valid, TrainConfig(epochs=1))
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


class NaNAfter(nn.Module):
    """A model whose predictions turn NaN from its ``calls``-th forward on."""

    def __init__(self, inner, calls):
        super().__init__()
        self.inner = inner
        self.calls = calls

    def forward(self, x):
        self.calls -= 1
        pred, info = self.inner(x)
        return (pred * float("nan") if self.calls < 0 else pred), info


def test_a_non_finite_loss_stops_training_before_it_reaches_the_weights(datasets, tmp_path):
    prepared, train, valid = datasets
    model = NaNAfter(fresh_model(prepared), calls=3)
    checkpoint = tmp_path / "checkpoint.pt"
    stopped = "the loss is nan at epoch 0, step 3.*checkpoint.pt keeps the last state saved"
    with pytest.raises(TrainingError, match=stopped):
        fit(model, train, valid, TrainConfig(epochs=2, checkpoint_every=2), checkpoint)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    saved = load_if_present(checkpoint)
    assert saved["loop"]["step"] == 2
    assert all(torch.isfinite(v).all() for v in saved["model"].values())


class Constant(nn.Module):
    """Predicts zeros whatever the input (still with a parameter to train)."""

    def __init__(self, num_targets):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(()))
        self.num_targets = num_targets

    def forward(self, x):
        return x.new_zeros(x.shape[0], self.num_targets) * self.bias, {}


def test_no_epoch_with_a_validation_ic_is_a_failure_not_a_model(datasets):
    prepared, train, valid = datasets
    with pytest.raises(TrainingError, match="no epoch of 2 gave a finite validation IC"):
        fit(Constant(prepared.num_targets), train, valid, TrainConfig(epochs=2, patience=5))


class NaNEncoder(FLAEncoderStrategy):
    """A plugin encoder whose encodings are NaN."""

    def __init__(self, n_features, hidden_size=4, num_layers=1, dropout=0.0):
        super().__init__()
        self.proj = nn.Linear(n_features, hidden_size)
        self.output_dim = hidden_size

    def forward(self, x, attention_mask=None):
        return self.proj(x[:, -1]) * float("nan"), {}


@pytest.fixture
def nan_plugin(monkeypatch):
    monkeypatch.setattr(FLAEncoderFactory, "_registered", dict(FLAEncoderFactory._registered))
    FLAEncoderFactory.register("test_nan_encoder")(NaNEncoder)
    return "test_nan_encoder"


@pytest.mark.parametrize(
    "overrides, reason",
    [
        (["--set", "training.epochs=0"], "training.epochs must be an int >= 1, got 0"),
        (["--set", 'model.encoder_name="test_nan_encoder"'], "the loss is nan at epoch 0"),
    ],
)
def test_train_exits_1_with_the_reason_and_no_traceback(
    tmp_path, capsys, nan_plugin, overrides, reason
):
    out = tmp_path / "run"
    assert main([*TRAIN, "--out", str(out), *TINY, *overrides]) == 1
    captured = capsys.readouterr()
    assert reason in captured.err and "Traceback" not in captured.err
    assert "best epoch" not in captured.out
    assert not (out / "model.pt").exists()


def test_a_refused_run_does_not_claim_its_folder(tmp_path):
    out = tmp_path / "run"
    assert main([*TRAIN, "--out", str(out), *TINY, "--set", "training.epochs=0"]) == 1
    assert not (out / "config.json").exists()
    assert main([*TRAIN, "--out", str(out), *TINY, "--set", "training.epochs=1"]) == 0
    assert json.loads((out / "config.json").read_text())["training"]["epochs"] == 1
