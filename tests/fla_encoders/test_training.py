"""The training loop: it learns, stops early, and resumes identically after an interruption."""

import pytest
import torch

import fla_encoders.training.loop as loop
from fla_encoders.training import TrainConfig, fit, load_if_present, save_atomic
from tests.fla_encoders.training_helpers import (
    RESUMABLE,
    assert_same_weights,
    fresh_model,
    interrupted_run,
    rerun_model,
    tiny_datasets,
)


@pytest.fixture(scope="module")
def datasets():
    return tiny_datasets()


def test_masked_mse_ignores_missing_targets():
    pred = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    target = torch.tensor([[0.0, float("nan")], [3.0, 2.0]])
    assert loop.masked_mse(pred, target) == pytest.approx((1 + 0 + 4) / 3)


def test_fit_records_history_and_keeps_the_best_epoch(datasets):
    prepared, train, valid = datasets
    model = fresh_model(prepared)
    result = fit(model, train, valid, TrainConfig(epochs=3, patience=1))
    assert 1 <= len(result.history) <= 3
    assert result.best_valid_ic == max(h["valid_ic"] for h in result.history)


def test_an_interrupted_run_resumes_to_the_same_weights(datasets, tmp_path):
    prepared, train, valid = datasets
    config = RESUMABLE
    checkpoint = tmp_path / "run.pt"
    # killed in the second epoch, after its second checkpoint
    reference = interrupted_run(datasets, checkpoint, len(train) + 2)
    state = load_if_present(checkpoint)["loop"]
    assert (state["epoch"], state["step"]) == (1, 2)

    resumed = rerun_model(prepared)
    result = fit(resumed, train, valid, config, checkpoint)
    assert_same_weights(reference, resumed)
    assert len(result.history) == 3
    # a finished run does not train again
    assert fit(resumed, train, valid, config, checkpoint).history == result.history


def test_save_atomic_leaves_no_temporary_files(tmp_path):
    save_atomic({"a": 1}, tmp_path / "sub" / "x.pt")
    save_atomic({"a": 2}, tmp_path / "sub" / "x.pt")
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["x.pt"]
    assert load_if_present(tmp_path / "sub" / "x.pt") == {"a": 2}
    assert load_if_present(tmp_path / "missing.pt") is None


def test_train_config_rejects_unknown_settings():
    with pytest.raises(ValueError, match="unknown settings"):
        TrainConfig.from_dict({"learning_rate": 1})


def test_progress_bars_are_optional():
    from fla_encoders.training.progress import progress

    assert list(progress([1, 2], enabled=False, description="x", total=2)) == [1, 2]
    assert list(progress([1, 2], enabled=True, description="x", total=2)) == [1, 2]
