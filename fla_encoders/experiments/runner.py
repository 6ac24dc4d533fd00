"""Where the runs of a comparison execute: one after another in this process, or in worker
processes. Both yield the same results: every run is seeded and pinned to its configuration's
``training.threads``, so a run's numbers do not depend on the runner.

A runner is any object with ``run(specs, board) -> iterator of (spec, result)`` in the order
runs finish; ``board`` (``fla_encoders.experiments.progress.RunBoard``) is told of each run's
start, epochs and end. Ray runs across machines plug in the same way.
"""

import functools
import json
import multiprocessing
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


def _drain(events: Any, board: RunBoard) -> None:
    while True:
        try:
            name, record = events.get_nowait()
        except queue.Empty:
            return
        board.epoch(name, record)


def make_runner(jobs: int) -> Any:
    """``SerialRunner()`` for one job, else ``ProcessRunner(jobs)``."""
    return SerialRunner() if jobs == 1 else ProcessRunner(jobs)
