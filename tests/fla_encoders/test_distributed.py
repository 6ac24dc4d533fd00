"""One model trained by processes that torchrun starts (gloo on the CPU): the weights of one
process, and a rank killed mid-training resumed to the weights of an uninterrupted group."""

import os
import signal
import sys
from pathlib import Path
from typing import List

import pytest
import torch

from fla_encoders.cli import main
from fla_encoders.training.checkpoint import load_safely
from fla_encoders.training.distributed import LOCAL, TORCHRUN_VARIABLES, Group
from tests.fla_encoders.process_helpers import finish, free_port, start, wait_for_epoch

MODEL = [
    "--data=mock",
    "--set=data.options.n_assets=60",
    "--set=data.options.n_features=16",
    "--set=model.hidden_size=16",
    "--set=model.prediction_hidden=[8]",
    "--set=model.encoder_kwargs.num_layers=1",
    "--set=training.threads=1",
]
EXACT = [
    *MODEL,
    "--set=data.options.n_dates=100",
    "--set=model.dropout=0",
    "--set=training.epochs=3",
]
"""Without dropout, nothing random while training: one process and two ranks do the same sums."""
LONG = [
    *MODEL,
    "--set=data.options.n_dates=100",
    "--set=training.epochs=12",
    "--set=training.patience=12",
    "--set=training.checkpoint_every=2",
]
"""With dropout (each rank its own masks) and a checkpoint every two steps, long enough to kill."""
GLOO = {"GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1"}
TOLERANCE = 1e-6
"""Largest weight difference allowed between two gloo ranks and one process (measured: 1.3e-7)."""


def train_command(out: Path, settings: List[str], ranks: int = 0) -> List[str]:
    """``fla-encoders train`` of ``settings`` into ``out``: alone, or under torchrun with
    ``ranks`` processes on 127.0.0.1."""
    command = [sys.executable, "-m", "fla_encoders", "--log-level", "INFO", "train"]
    if ranks:
        launcher = ["torch.distributed.run", "--nnodes", "1", "--nproc-per-node", str(ranks)]
        launcher += ["--master-addr", "127.0.0.1", "--master-port", str(free_port())]
        command = [sys.executable, "-m", *launcher, *command[1:], "--distributed"]
    return [*command, "--config", "baseline_gru", "--out", str(out), *settings]


def run(command: List[str], log: Path) -> str:
    return finish(start(command, log, GLOO), log)


def weights(out: Path) -> dict:
    return load_safely(out / "model.pt")["model"]


def rank_pid(launcher: int, rank: int) -> int:
    """The PID of the worker of ``rank`` that torchrun (PID ``launcher``) started."""
    children = Path(f"/proc/{launcher}/task/{launcher}/children").read_text().split()
    for child in children:
        environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        if f"RANK={rank}".encode() in environ:
            return int(child)
    raise AssertionError(f"no worker of rank {rank} among {children}")


def test_a_group_shares_whole_items_and_one_process_is_a_group_of_one():
    assert Group(rank=1, size=3).share(list(range(7))) == [1, 4]
    assert LOCAL.share([5, 6]) == [5, 6] and LOCAL.is_main
    assert LOCAL.from_main(lambda a: a + 1, 1) == 2 and LOCAL.gather(3) == [3]
    assert LOCAL.broadcast("x") == "x" and torch.equal(LOCAL.sum(torch.ones(2)), torch.ones(2))


def test_distributed_training_outside_torchrun_says_how_to_start_it(monkeypatch, capsys):
    for name in TORCHRUN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert main(["train", "--distributed", "--config", "baseline_gru", "--out", "unused"]) == 1
    assert "not started by torchrun" in capsys.readouterr().err
    assert not Path("unused").exists()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="torchrun's workers in /proc")
def test_two_gloo_ranks_train_the_weights_of_one_process(tmp_path):
    run(train_command(tmp_path / "one", EXACT), tmp_path / "one.log")
    output = run(train_command(tmp_path / "two", EXACT, ranks=2), tmp_path / "two.log")
    assert "trained gru" in output and output.count("trained gru") == 1  # rank 0 speaks
    one, two = weights(tmp_path / "one"), weights(tmp_path / "two")
    differences = {key: float((one[key] - two[key]).abs().max()) for key in one}
    print(f"largest weight difference, 2 ranks vs 1 process: {max(differences.values()):.2e}")
    assert max(differences.values()) <= TOLERANCE, differences
    results = [load_safely(tmp_path / name / "model.pt")["result"] for name in ("one", "two")]
    assert results[0]["best_epoch"] == results[1]["best_epoch"]


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="torchrun's workers in /proc")
def test_a_rank_killed_mid_training_resumes_to_the_weights_of_an_uninterrupted_group(tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    run(train_command(whole, LONG, ranks=2), tmp_path / "whole.log")
    launcher = start(train_command(killed, LONG, ranks=2), tmp_path / "killed.log", GLOO)
    wait_for_epoch(killed / "checkpoint.pt", lambda: launcher.poll() is None)
    os.kill(rank_pid(launcher.pid, 1), signal.SIGKILL)
    finish(launcher, tmp_path / "killed.log")
    assert launcher.returncode != 0 and not (killed / "model.pt").exists()
    saved = load_safely(killed / "checkpoint.pt")
    assert len(saved["rank_rngs"]) == 2 and not saved["loop"]["done"]

    alone = run(train_command(killed, LONG), tmp_path / "alone.log")
    assert "written by 2 training process(es), this run has 1" in alone
    resumed = run(train_command(killed, LONG, ranks=2), tmp_path / "resumed.log")
    assert "resuming from" in resumed and "trained gru" in resumed
    expected, got = weights(whole), weights(killed)
    assert all(torch.equal(expected[key], got[key]) for key in expected)
