"""Where the runs of a comparison execute: one after another in this process, in worker
processes, or as tasks on a Ray cluster. All yield the same results: every run is seeded and
pinned to its configuration's ``training.threads``, so a run's numbers do not depend on the
runner.

A runner is any object with ``run(specs, board) -> iterator of (spec, result)`` in the order
runs finish; ``board`` (``fla_encoders.experiments.progress.RunBoard``) is told of each run's
start, epochs and end.
"""

import dataclasses
import functools
import json
import logging
import multiprocessing
import os
import queue
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, Optional, Sequence, Tuple

from fla_encoders.experiments.progress import RunBoard
from fla_encoders.experiments.run import Datasets, datasets_for, run_experiment
from fla_encoders.training.errors import CheckpointError, TrainingError

Result = Dict[str, Any]
EpochHook = Callable[[Dict[str, float]], None]


@dataclass(frozen=True)
class RunSpec:
    """One run: ``name`` (e.g. ``gru/seed0``), its full configuration and its folder."""

    name: str
    config: Dict[str, Any]
    out_dir: str

    @property
    def epochs(self) -> int:
        return int(self.config.get("training", {}).get("epochs", 20))


_DATASETS: Dict[str, Datasets] = {}  # per process: built once for every run on the same data


def shared_datasets(config: Dict[str, Any]) -> Datasets:
    """The datasets of ``config["data"]``, built once per process for every run on that data."""
    key = json.dumps(config.get("data", {}), sort_keys=True)
    if key not in _DATASETS:
        _DATASETS[key] = datasets_for(config)
    return _DATASETS[key]


def execute(spec: RunSpec, on_epoch: Optional[EpochHook] = None) -> Result:
    """Run ``spec`` on the process's shared datasets; ``on_epoch(record)`` after each epoch. A
    run that cannot train, or whose files cannot be read, is ``{"error": why}``: the others
    go on."""
    try:
        return run_experiment(spec.config, spec.out_dir, shared_datasets(spec.config), on_epoch)
    except (TrainingError, CheckpointError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


class SerialRunner:
    """The runs one after another, in this process."""

    def run(self, specs: Sequence[RunSpec], board: RunBoard) -> Iterator[Tuple[RunSpec, Result]]:
        for spec in specs:
            board.started(spec.name, spec.epochs)
            result = execute(spec, functools.partial(board.epoch, spec.name))
            board.finished(spec.name, result)
            yield spec, result


def _send(events: Any, name: str, record: Dict[str, float]) -> None:
    events.put((name, record))


class ProcessRunner:
    """The runs in ``jobs`` worker processes (started fresh, ``spawn``), at most ``jobs`` at
    a time; each worker keeps its datasets for the next run."""

    def __init__(self, jobs: int):
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ValueError(f"jobs: expected a positive int, got {jobs!r}")
        self.jobs = jobs

    def run(self, specs: Sequence[RunSpec], board: RunBoard) -> Iterator[Tuple[RunSpec, Result]]:
        context = multiprocessing.get_context("spawn")
        with context.Manager() as manager, ProcessPoolExecutor(
            self.jobs, mp_context=context
        ) as pool:
            events = manager.Queue()
            waiting = list(specs)
            running: Dict[Any, RunSpec] = {}
            while waiting or running:
                while waiting and len(running) < self.jobs:
                    spec = waiting.pop(0)
                    board.started(spec.name, spec.epochs)
                    hook = functools.partial(_send, events, spec.name)
                    running[pool.submit(execute, spec, hook)] = spec
                done, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
                _drain(events, board)
                for future in done:
                    spec = running.pop(future)
                    result = future.result()
                    board.finished(spec.name, result)
                    yield spec, result


def _drain(events: Any, board: RunBoard, epochs: Optional[Dict[str, int]] = None) -> None:
    """Tell ``board`` of what waits in ``events``: ``(name, record)``, an epoch of a run;
    ``(name, None)``, its start (its epochs in ``epochs``)."""
    while True:
        try:
            name, record = events.get_nowait()
        except queue.Empty:  # ray.util.queue.Empty too
            return
        if record is None:
            board.started(name, epochs[name])
        elif name in board.runs:
            board.epoch(name, record)


def require_ray() -> Any:
    """The ``ray`` module; an ``ImportError`` saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise ImportError(
            "--backend ray needs Ray: pip install 'fla-encoders[ray]' (or pip install "
            "'ray[default]')"
        ) from exc
    return ray


def execute_reporting(spec: RunSpec, events: Any, log_level: int) -> Result:
    """``execute(spec)`` in a Ray worker, logging at the driver's ``log_level`` and telling
    ``events`` (a Ray queue) of its start (``(name, None)``) and epochs (``(name, record)``)."""
    logging.basicConfig(level=log_level, format="%(asctime)s %(name)s: %(message)s")
    events.put((spec.name, None))
    return execute(spec, functools.partial(_send, events, spec.name))


class RayRunner:
    """The runs as Ray tasks: on the cluster at ``address`` (None: ``RAY_ADDRESS``, else a
    cluster started here for the comparison and ended after it), each reserving ``cpus`` CPUs
    and ``gpus`` GPUs (Ray schedules as many at a time as the cluster holds). A task whose
    worker or node dies is run again up to ``retries`` times, resuming from its checkpoint;
    after that its result is an error that a rerun of the comparison resumes. Run folders
    must be on a path every node sees (a shared file system): a worker writes them, the
    driver reads them."""

    def __init__(
        self, address: Optional[str] = None, cpus: float = 1, gpus: float = 0, retries: int = 3
    ):
        for name, value in (("cpus", cpus), ("gpus", gpus), ("retries", retries)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{name}: expected a number >= 0, got {value!r}")
        self.ray = require_ray()
        self.address, self.cpus, self.gpus, self.retries = address, cpus, gpus, int(retries)

    def run(self, specs: Sequence[RunSpec], board: RunBoard) -> Iterator[Tuple[RunSpec, Result]]:
        ray = self.ray
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(address=self.address, logging_level=logging.WARNING)
        try:
            yield from self.tasks(specs, board)
        finally:
            if started_here:
                ray.shutdown()

    def tasks(self, specs: Sequence[RunSpec], board: RunBoard) -> Iterator[Tuple[RunSpec, Result]]:
        ray = self.ray
        from ray.util.queue import Queue

        events = Queue(actor_options={"num_cpus": 0})
        task = ray.remote(execute_reporting)
        resources = {"num_cpus": self.cpus, "num_gpus": self.gpus, "max_retries": self.retries}
        level = logging.getLogger().getEffectiveLevel()
        running = {}
        for spec in specs:
            remote = dataclasses.replace(spec, out_dir=os.path.abspath(spec.out_dir))
            named = task.options(name=spec.name, **resources)
            running[named.remote(remote, events, level)] = spec
        epochs = {spec.name: spec.epochs for spec in specs}
        try:
            while running:
                done, _ = ray.wait(list(running), num_returns=1, timeout=0.5)
                _drain(events, board, epochs)
                for ref in done:
                    spec = running.pop(ref)
                    result = self.result(ref)
                    if spec.name not in board.runs:  # died before it could say it started
                        board.started(spec.name, spec.epochs)
                    board.finished(spec.name, result)
                    yield spec, result
        finally:
            for ref in running:
                ray.cancel(ref, force=True)
            events.shutdown(force=True)

    def result(self, ref: Any) -> Result:
        """The task's result; ``{"error": ...}`` when its worker or node died every time."""
        exceptions = self.ray.exceptions
        try:
            return self.ray.get(ref)
        except (
            exceptions.WorkerCrashedError,
            exceptions.NodeDiedError,
            exceptions.OutOfMemoryError,
        ) as exc:
            return {
                "error": f"{type(exc).__name__}: its Ray worker died ({self.retries} retries "
                f"allowed); a rerun of the comparison resumes it from its checkpoint"
            }


def make_runner(
    jobs: int = 1,
    backend: str = "local",
    address: Optional[str] = None,
    cpus_per_run: float = 1,
    gpus_per_run: float = 0,
) -> Any:
    """``backend="local"``: ``SerialRunner()`` for one job, else ``ProcessRunner(jobs)``;
    ``"ray"``: ``RayRunner(address, cpus_per_run, gpus_per_run)``."""
    if backend == "ray":
        return RayRunner(address, cpus_per_run, gpus_per_run)
    if backend != "local":
        raise ValueError(f"backend: expected 'local' or 'ray', got {backend!r}")
    return SerialRunner() if jobs == 1 else ProcessRunner(jobs)
