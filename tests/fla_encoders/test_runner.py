"""The runners of a comparison: worker processes give the serial results, and the board shows
what runs."""

import io
import json

import pytest

from fla_encoders.experiments import load_config
from fla_encoders.experiments.compare import compare
from fla_encoders.experiments.progress import RunBoard
from fla_encoders.experiments.runner import ProcessRunner, SerialRunner, make_runner

TINY = [
    'data.source="mock"',
    "data.options.n_dates=50",
    "data.options.n_assets=10",
    "data.options.n_features=6",
    "model.hidden_size=8",
    "model.prediction_hidden=[8]",
    "gru:model.encoder_kwargs.num_layers=1",
    "training.epochs=2",
]


def comparison(tmp_path, runner, name):
    summary = compare(
        ["gru", "linear"], 2, load_config("baseline_gru"), TINY, tmp_path / name, runner
    )
    runs = {
        e: [{k: v for k, v in r.items() if k != "seconds"} for r in rs]
        for e, rs in summary["runs"].items()
    }
    return json.dumps(runs, sort_keys=True, default=float)


@pytest.mark.slow
def test_two_worker_processes_give_the_serial_results(tmp_path):
    serial = comparison(tmp_path, SerialRunner(), "serial")
    parallel = comparison(tmp_path, ProcessRunner(2), "parallel")
    assert json.loads(serial) and parallel == serial


def test_make_runner_and_bad_jobs():
    assert isinstance(make_runner(1), SerialRunner)
    assert isinstance(make_runner(3), ProcessRunner) and make_runner(3).jobs == 3
    with pytest.raises(ValueError, match="jobs"):
        ProcessRunner(0)


def test_the_board_logs_one_line_per_finished_run_off_a_terminal():
    stream = io.StringIO()
    board = RunBoard(2, stream, live=False)
    board.started("gru/seed0", 5)
    board.epoch("gru/seed0", {"epoch": 0, "valid_ic": 0.01})
    board.finished("gru/seed0", {"test": {"mean": {"ic": 0.02}}, "best_epoch": 0})
    assert stream.getvalue().startswith("[1/2] gru/seed0: test IC +0.0200, best epoch 0,")
    assert stream.getvalue().count("\n") == 1


def test_the_live_board_shows_each_running_run_with_its_epoch_and_eta():
    stream = io.StringIO()
    board = RunBoard(2, stream, live=True)
    board.started("gru/seed0", 5)
    board.started("gru/seed1", 5)
    board.epoch("gru/seed1", {"epoch": 1, "valid_ic": -0.03})
    screen = stream.getvalue()
    assert "gru/seed0" in screen and "epoch 2/5  valid IC -0.0300  ETA <=" in screen
    board.finished("gru/seed0", {"test": {"mean": {"ic": 0.0}}, "best_epoch": 1})
    assert "\x1b[2F\x1b[J[1/2] gru/seed0" in stream.getvalue()  # the block is redrawn below


def test_a_run_that_cannot_train_leaves_its_encoder_out_and_the_others_go_on(tmp_path):
    overrides = [*TINY, "linear:training.epochs=0"]
    summary = compare(["gru", "linear"], 1, load_config("baseline_gru"), overrides, tmp_path)
    assert list(summary["runs"]) == ["gru"]
    assert summary["unavailable"]["linear"].startswith("run linear/seed0 failed: TrainingError")


def test_a_configuration_that_makes_no_model_stops_before_any_training(tmp_path):
    overrides = [*TINY, "linear:model.encoder_kwargs.no_such_argument=1"]
    with pytest.raises(ValueError, match="linear/seed0: the configuration makes no model"):
        compare(["gru", "linear"], 1, load_config("baseline_gru"), overrides, tmp_path)
    assert not (tmp_path / "runs").exists()
