"""The files of a run folder: loaded safely (a planted pickle never runs), kept in two
generations (``checkpoint.pt``, ``checkpoint.prev.pt``), and named in every error about them."""

import os
import shutil

import pytest
import torch

import fla_encoders.training.loop as loop
from fla_encoders.cli import main
from fla_encoders.experiments import load_config, run_experiment
from fla_encoders.training import (
    CheckpointError,
    CheckpointWarning,
    TrainConfig,
    fit,
    load_if_present,
    load_latest,
    previous_path,
    save_atomic,
)
from tests.fla_encoders.test_compare import TINY
from tests.fla_encoders.training_helpers import (
    RESUMABLE,
    assert_same_weights,
    fresh_model,
    interrupted_run,
    rerun_model,
    tiny_datasets,
)

TRAIN = ["--log-level", "WARNING", "train", "--config", "baseline_gru"]


class Payload:
    """Pickled as a call of ``os.system``: loading it with full unpickling creates ``sentinel``."""

    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return (os.system, (f"touch {self.sentinel}",))


def plant(path, sentinel) -> None:
    """Replace ``path`` by a file whose unpickling would run a command."""
    torch.save({"model": Payload(sentinel), "result": Payload(sentinel)}, path)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A run folder of a tiny finished training (``train`` through the command line)."""
    out = tmp_path_factory.mktemp("finished") / "run"
    assert main([*TRAIN, "--out", str(out), *TINY]) == 0
    return out


@pytest.fixture(scope="module")
def datasets():
    return tiny_datasets()


@pytest.fixture
def run_folder(finished_run, tmp_path):
    """A copy of ``finished_run`` that a test may damage."""
    return shutil.copytree(finished_run, tmp_path / "run")


def train_again(run_folder) -> int:
    return main([*TRAIN, "--out", str(run_folder), *TINY])


def test_a_finished_run_keeps_its_checkpoint_and_the_one_before(run_folder):
    assert {"checkpoint.pt", "checkpoint.prev.pt", "model.pt", "config.json"} <= {
        p.name for p in run_folder.iterdir()
    }
    latest = load_if_present(run_folder / "checkpoint.pt")["loop"]
    earlier = load_if_present(run_folder / "checkpoint.prev.pt")["loop"]
    assert latest["epoch"] > earlier["epoch"]


def test_a_pickle_planted_as_model_pt_never_runs_on_a_rerun(run_folder, tmp_path, capsys):
    sentinel = tmp_path / "SENTINEL"
    plant(run_folder / "model.pt", sentinel)
    assert train_again(run_folder) == 1
    assert not sentinel.exists()
    error = capsys.readouterr().err
    assert "model.pt" in error and "refused" in error and "Traceback" not in error


def test_a_pickle_planted_as_model_pt_never_runs_in_evaluate(run_folder, tmp_path, capsys):
    sentinel = tmp_path / "SENTINEL"
    plant(run_folder / "model.pt", sentinel)
    assert main(["evaluate", "--model", str(run_folder / "model.pt")]) == 1
    assert not sentinel.exists()
    assert f"{run_folder / 'model.pt'} cannot be loaded safely" in capsys.readouterr().err


def test_a_pickle_planted_as_the_latest_checkpoint_never_runs_on_resume(run_folder, tmp_path):
    sentinel = tmp_path / "SENTINEL"
    os.remove(run_folder / "model.pt")  # the run resumes from its checkpoints
    plant(run_folder / "checkpoint.pt", sentinel)
    resumes = "checkpoint.pt cannot be loaded safely.*resuming from .*checkpoint.prev.pt"
    with pytest.warns(CheckpointWarning, match=resumes):
        assert train_again(run_folder) == 0
    assert not sentinel.exists()


def test_pickles_planted_as_both_checkpoints_never_run_on_resume(run_folder, tmp_path, capsys):
    sentinel = tmp_path / "SENTINEL"
    os.remove(run_folder / "model.pt")
    plant(run_folder / "checkpoint.pt", sentinel)
    plant(run_folder / "checkpoint.prev.pt", sentinel)
    assert train_again(run_folder) == 1
    assert not sentinel.exists()
    error = capsys.readouterr().err
    assert "checkpoint.pt cannot be loaded safely" in error
    assert "checkpoint.prev.pt cannot be loaded safely" in error


def test_a_checkpoint_that_is_not_one_is_refused_by_name(tmp_path, datasets):
    prepared, train, valid = datasets
    save_atomic({"weights": torch.ones(2)}, tmp_path / "run.pt")
    with pytest.raises(CheckpointError, match=r"run.pt is not a training checkpoint.*'model'"):
        fit(fresh_model(prepared), train, valid, TrainConfig(epochs=1), tmp_path / "run.pt")


def test_a_model_file_that_is_not_one_is_refused_by_name(tmp_path, capsys):
    save_atomic({"weights": torch.ones(2)}, tmp_path / "model.pt")
    assert main(["evaluate", "--model", str(tmp_path / "model.pt")]) == 1
    assert "model.pt is not a model.pt written by train" in capsys.readouterr().err


def test_save_atomic_keeps_the_previous_state_beside_the_latest(tmp_path):
    path = tmp_path / "checkpoint.pt"
    for value in (1, 2, 3):
        save_atomic({"a": value}, path, keep_previous=True)
    assert previous_path(path) == tmp_path / "checkpoint.prev.pt"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.prev.pt", "checkpoint.pt"]
    assert load_if_present(path) == {"a": 3} and load_if_present(previous_path(path)) == {"a": 2}


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: b"",  # empty
        lambda data: b"not a checkpoint at all",  # garbage
        lambda data: b"hello world garbage",
    ],
)
def test_a_damaged_latest_checkpoint_falls_back_on_the_previous_one(tmp_path, damage):
    path = tmp_path / "checkpoint.pt"
    save_atomic({"a": 1}, path, keep_previous=True)
    save_atomic({"a": 2}, path, keep_previous=True)
    path.write_bytes(damage(path.read_bytes()))
    loaded = load_latest(path)
    assert loaded.state == {"a": 1} and loaded.path == previous_path(path)
    assert len(loaded.skipped) == 1 and loaded.skipped[0].startswith(f"{path} cannot be loaded")


def test_no_checkpoint_at_all_starts_afresh_and_two_unreadable_ones_name_both(tmp_path):
    path = tmp_path / "checkpoint.pt"
    assert load_latest(path) is None
    path.write_bytes(b"")
    with pytest.raises(CheckpointError) as only:
        load_latest(path)
    assert f"{path} cannot be loaded: EOFError" in str(only.value)
    assert f"{previous_path(path)} is missing" in str(only.value)
    previous_path(path).write_bytes(b"garbage")
    with pytest.raises(CheckpointError) as both:
        load_latest(path)
    message = str(both.value)
    assert f"{path} cannot be loaded" in message and f"{previous_path(path)} cannot be" in message
    assert f"To start the run over, delete {path} and {previous_path(path)}" in message


def test_a_run_resumes_from_the_previous_checkpoint_saying_what_is_lost(datasets, tmp_path):
    prepared, train, valid = datasets
    checkpoint = tmp_path / "checkpoint.pt"
    # killed in the second epoch after its second checkpoint (step 4), the one before at step 2
    reference = interrupted_run(datasets, checkpoint, len(train) + 4)
    assert load_if_present(previous_path(checkpoint))["loop"]["step"] == 2
    checkpoint.write_bytes(checkpoint.read_bytes()[:100])  # the latest is damaged

    resumed = rerun_model(prepared)
    lost = f"{previous_path(checkpoint)} at epoch 1, step 2: the 2 training steps saved after it"
    with pytest.warns(CheckpointWarning, match=f"{checkpoint} cannot be loaded.*{lost}"):
        fit(resumed, train, valid, RESUMABLE, checkpoint)
    assert_same_weights(reference, resumed)


def test_steps_to_next_save():
    assert loop.steps_to_next_save(2, 10, 4) == 2
    assert loop.steps_to_next_save(8, 10, 4) == 2  # the epoch ends first
    assert loop.steps_to_next_save(10, 10, 5) == 0  # saved at the end: only the validation
    assert loop.steps_to_next_save(3, 10, 0) == 7  # no mid-epoch checkpoints


def test_run_experiment_names_an_unreadable_model_file(run_folder):
    (run_folder / "model.pt").write_bytes(b"")
    config = load_config(run_folder / "config.json")
    with pytest.raises(CheckpointError, match="model.pt cannot be loaded: EOFError"):
        run_experiment(config, run_folder)


@pytest.mark.parametrize("override", ["model.hidden_size=4", "model.encoder_kwargs.pooling=mean"])
def test_evaluate_refuses_model_settings_it_cannot_apply(run_folder, override):
    model = str(run_folder / "model.pt")
    with pytest.raises(SystemExit, match=f"--set {override}: evaluate scores the model as it was"):
        main(["evaluate", "--model", model, "--set", override])
    assert main(["evaluate", "--model", model, "--set", "data.dates_per_batch=2"]) == 0
