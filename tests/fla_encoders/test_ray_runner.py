"""``compare --backend ray``: on a local Ray cluster the tests start (every server on 127.0.0.1),
the serial results; a worker killed mid-run loses nothing; without Ray, how to install it."""

import io
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List

import pytest

from fla_encoders.cli import data_overrides, main
from fla_encoders.experiments import load_config
from fla_encoders.experiments.compare import run_specs
from fla_encoders.experiments.progress import RunBoard
from fla_encoders.experiments.runner import RayRunner
from tests.fla_encoders.process_helpers import finish, free_port, start, wait_for_epoch

LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
"""Ray's switch to the loopback address for every server of a one-machine cluster."""
SETTINGS = [
    "--encoders=gru,linear",
    "--seeds=2",
    "--data=mock",
    "--set=data.options.n_dates=100",
    "--set=data.options.n_assets=60",
    "--set=data.options.n_features=16",
    "--set=model.hidden_size=16",
    "--set=model.prediction_hidden=[8]",
    "--set=gru:model.encoder_kwargs.num_layers=1",
    "--set=training.epochs=6",
    "--set=training.patience=6",
    "--set=training.checkpoint_every=2",
]


def compare_command(out: Path, *options: str) -> List[str]:
    command = [sys.executable, "-m", "fla_encoders", "--log-level", "INFO", "compare"]
    return [*command, *SETTINGS, "--out", str(out), *options]


def runs(out: Path) -> Dict[str, list]:
    """The runs' results of the comparison in ``out``, without their durations."""
    results = json.loads((out / "results.json").read_text())["runs"]
    return {
        encoder: [{k: v for k, v in run.items() if k != "seconds"} for run in seeds]
        for encoder, seeds in results.items()
    }


def compared(out: Path, *options: str) -> str:
    """The output of a comparison into ``out`` that ended well."""
    process = start(compare_command(out, *options), out.with_suffix(".log"), LOOPBACK)
    output = finish(process, out.with_suffix(".log"))
    assert process.returncode == 0, output[-3000:]
    return output


@pytest.fixture(scope="module")
def cluster():
    """The address of a local Ray cluster of 2 CPUs, shut down after the module's tests and
    its session's files removed."""
    ray = pytest.importorskip("ray")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in LOOPBACK.items():
            patch.setenv(name, value)
        context = ray.init(
            num_cpus=2,
            dashboard_host="127.0.0.1",
            dashboard_port=free_port(),  # the state API lists the running tasks through it
            log_to_driver=False,
            logging_level="WARNING",
        )
    try:
        yield context.address_info["address"]
    finally:
        ray.shutdown()
        shutil.rmtree(context.address_info["session_dir"], ignore_errors=True)


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The runs of the serial comparison."""
    out = tmp_path_factory.mktemp("serial") / "compare"
    compared(out)
    return runs(out)


def running_worker(name: str, timeout_s: float = 60) -> int:
    """The PID of the Ray worker running the task ``name`` (Ray's state API)."""
    from ray.util.state import list_tasks

    deadline = time.time() + timeout_s
    while time.time() < deadline:
        tasks = list_tasks(filters=[("name", "=", name), ("state", "=", "RUNNING")])
        if tasks and tasks[0].worker_pid:
            return tasks[0].worker_pid
        time.sleep(0.2)
    raise AssertionError(f"no running task {name} after {timeout_s} s")


@pytest.mark.slow
def test_ray_tasks_give_the_serial_results(cluster, serial, tmp_path):
    output = compared(tmp_path / "ray", "--backend=ray", f"--address={cluster}")
    assert runs(tmp_path / "ray") == serial
    assert "[4/4] " in output


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_nothing(cluster, serial, tmp_path):
    out = tmp_path / "ray"
    log = tmp_path / "killed.log"
    process = start(compare_command(out, "--backend=ray", f"--address={cluster}"), log, LOOPBACK)
    pid = running_worker("gru/seed1")
    checkpoint = out / "runs" / "gru" / "seed1" / "checkpoint.pt"
    wait_for_epoch(checkpoint, lambda: process.poll() is None)
    os.kill(pid, signal.SIGKILL)
    output = finish(process, log)
    assert process.returncode == 0, output[-3000:]
    assert f"resuming from {checkpoint}" in output  # Ray ran it again, from its checkpoint
    assert runs(out) == serial

    finished = {path: path.stat().st_mtime_ns for path in out.glob("runs/*/*/model.pt")}
    assert len(finished) == 4
    compared(out, "--backend=ray", f"--address={cluster}")  # a rerun reuses every run
    assert {path: path.stat().st_mtime_ns for path in finished} == finished
    assert runs(out) == serial


@pytest.mark.slow
def test_a_run_whose_worker_dies_every_time_fails_and_a_rerun_resumes_it(cluster, serial, tmp_path):
    base = load_config("baseline_gru")
    overrides = data_overrides("mock", base) + [s[6:] for s in SETTINGS if s.startswith("--set=")]
    specs = run_specs(["gru"], 2, base, overrides, tmp_path)
    board = RunBoard(len(specs), io.StringIO(), live=False)
    results = {}

    def compare_without_retries():
        results.update(
            (spec.name, result) for spec, result in RayRunner(retries=0).run(specs, board)
        )

    driver = threading.Thread(target=compare_without_retries)
    driver.start()
    pid = running_worker("gru/seed1")
    wait_for_epoch(tmp_path / "runs" / "gru" / "seed1" / "checkpoint.pt", driver.is_alive)
    os.kill(pid, signal.SIGKILL)
    driver.join(timeout=240)
    assert results["gru/seed1"]["error"].startswith("WorkerCrashedError: its Ray worker died")
    assert "error" not in results["gru/seed0"]
    resumed = {spec.name: result for spec, result in RayRunner().run(specs, board)}
    for seed in (0, 1):
        result = json.loads(json.dumps(resumed[f"gru/seed{seed}"], default=float))
        result.pop("seconds")
        assert result == serial["gru"][seed]


def test_backend_ray_without_ray_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails, as where it is missing
    with pytest.raises(SystemExit, match=r"pip install 'fla-encoders\[ray\]'") as refused:
        main(["compare", "--backend", "ray", "--out", str(tmp_path)])
    assert isinstance(refused.value.code, str)  # printed, exit code 1
    assert list(tmp_path.iterdir()) == []


def test_ray_options_go_with_backend_ray(tmp_path):
    with pytest.raises(SystemExit, match="--address, --gpus-per-run go with --backend ray"):
        main(["compare", "--address", "auto", "--gpus-per-run", "1", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="--jobs is for --backend local"):
        main(["compare", "--backend", "ray", "--jobs", "2", "--out", str(tmp_path)])
