"""Commands run as processes of their own, for the tests of runs on several processes: started
in a session of their own (killed whole if they outlive their time), waited for, watched."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

from fla_encoders.training.checkpoint import load_safely


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: List[str], log: Path, env: Optional[Dict[str, str]] = None) -> subprocess.Popen:
    """``command`` in a session of its own, its output in ``log``; ``env`` added to ours."""
    with open(log, "w") as output:
        return subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )


def finish(process: subprocess.Popen, log: Path, timeout_s: float = 240) -> str:
    """Wait for ``process``; its output. Its session is killed if it outlives ``timeout_s``."""
    try:
        process.wait(timeout=timeout_s)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return log.read_text()


def wait_for_epoch(checkpoint: Path, running: Callable[[], bool], timeout_s: float = 120) -> None:
    """Until ``checkpoint`` holds a state after the first epoch (files replaced atomically: a
    read sees a whole one), while ``running()`` says the run goes on."""
    deadline = time.time() + timeout_s
    while not (checkpoint.exists() and load_safely(checkpoint)["loop"]["epoch"] >= 1):
        assert running(), "the run ended before its first epoch was saved"
        assert time.time() < deadline, f"no epoch saved in {checkpoint} after {timeout_s} s"
        time.sleep(0.05)
