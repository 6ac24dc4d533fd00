"""What a person sees while a comparison runs: on a terminal, a live line per running run
(epoch, validation IC, ETA); elsewhere (a log, CI), one line per finished run."""

import sys
import time
from typing import Any, Dict, Optional, TextIO


class RunBoard:
    """Told of each run's start, epochs and end; draws on ``stream`` (default stderr)."""

    def __init__(self, total: int, stream: Optional[TextIO] = None, live: Optional[bool] = None):
        self.stream = sys.stderr if stream is None else stream
        self.live = self.stream.isatty() if live is None else live
        self.total = total
        self.done = 0
        self.runs: Dict[str, Dict[str, Any]] = {}  # running: epochs, epoch, valid_ic, started
        self.drawn = 0  # lines of the live block on screen

    def started(self, name: str, epochs: int) -> None:
        self.runs[name] = {"epochs": epochs, "epoch": 0, "valid_ic": None, "started": time.time()}
        self.draw()

    def epoch(self, name: str, record: Dict[str, float]) -> None:
        run = self.runs[name]
        run.update(epoch=int(record["epoch"]) + 1, valid_ic=record.get("valid_ic"))
        self.draw()

    def finished(self, name: str, result: Dict[str, Any]) -> None:
        run = self.runs.pop(name)
        self.done += 1
        seconds = f"{time.time() - run['started']:.0f} s"
        if "error" in result:
            line = f"[{self.done}/{self.total}] {name}: failed, {seconds}: {result['error']}"
        else:
            ic = result["test"]["mean"]["ic"]
            line = (
                f"[{self.done}/{self.total}] {name}: test IC {ic:+.4f}, best epoch "
                f"{result['best_epoch']}, {seconds}"
            )
        self.clear()
        self.stream.write(line + "\n")
        self.draw()

    def line(self, name: str) -> str:
        run = self.runs[name]
        elapsed = time.time() - run["started"]
        text = f"  {name:<24} epoch {run['epoch']}/{run['epochs']}"
        if run["valid_ic"] is not None:
            text += f"  valid IC {run['valid_ic']:+.4f}"
        if run["epoch"]:
            left = elapsed / run["epoch"] * (run["epochs"] - run["epoch"])
            text += f"  ETA <= {left:.0f} s"  # early stopping may end it sooner
        return text

    def clear(self) -> None:
        if self.live and self.drawn:
            self.stream.write(f"\x1b[{self.drawn}F\x1b[J")
            self.drawn = 0

    def draw(self) -> None:
        if not self.live:
            return
        self.clear()
        lines = [self.line(name) for name in self.runs]
        for text in lines:
            self.stream.write(text + "\n")
        self.drawn = len(lines)
        self.stream.flush()
