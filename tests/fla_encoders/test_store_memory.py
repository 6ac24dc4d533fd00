"""A panel four times larger than a memory budget is written to a store and trained on, each in
a process whose peak resident memory stays under the budget (measured, Linux)."""

import shutil
import subprocess
import sys

import pytest

BUDGET_MIB = 400
DATES, ASSETS, FEATURES = 1650, 256, 1000  # inputs.npy: 1611 MiB of float32

WRITE = """
import sys, torch
from fla_encoders.data.dates import business_dates
from fla_encoders.data.store import StoreWriter

path, d, n, f = sys.argv[1], *map(int, sys.argv[2:])
torch.set_num_threads(1)
g = torch.Generator().manual_seed(0)
names = [f"f{i}" for i in range(f)]
with StoreWriter(path, business_dates(d), [f"a{i}" for i in range(n)], names, ["y1", "y2"], 2) as w:
    for start in range(0, d, 16):
        x = torch.randn(min(16, d - start), n, f, generator=g)
        y = 0.1 * x[..., :2] + torch.randn(len(x), n, 2, generator=g)
        w.append(x, y)
"""

TRAIN = [
    "train",
    "--config",
    "baseline_gru",
    "--set=model.hidden_size=8",
    "--set=model.prediction_hidden=[8]",
    "--set=model.encoder_kwargs.num_layers=1",
    "--set=data.dates_per_batch=1",
    "--set=data.window=2",
    "--set=training.epochs=1",
    "--set=training.threads=1",
]


# A child forked from this (large) test process inherits its high-water mark at exec, so the
# command runs under a small launcher whose child's ru_maxrss is the command's alone; the
# launcher kills the command after ``timeout_s`` (argv[1]), so that nothing outlives the test.
MEASURE = """
import os, subprocess, sys, threading
process = subprocess.Popen(sys.argv[2:])
timer = threading.Timer(float(sys.argv[1]), process.kill)
timer.start()
try:
    _, status, usage = os.wait4(process.pid, 0)
finally:
    timer.cancel()
print(f"peak_rss_kib={usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def peak_rss_mib(command, log, timeout_s=300) -> float:
    """Run ``command``, killed after ``timeout_s``; its peak resident memory in MiB
    (``ru_maxrss`` of that process alone)."""
    with open(log, "w") as output:
        process = subprocess.run(
            [sys.executable, "-c", MEASURE, str(timeout_s), *command],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    text = open(log).read()
    assert process.returncode == 0, text[-3000:]
    return int(text.rsplit("peak_rss_kib=", 1)[1].split()[0]) / 1024  # KiB on Linux


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KB: Linux")
def test_a_panel_larger_than_memory_trains_within_the_budget(tmp_path):
    store, run = tmp_path / "panel.store", tmp_path / "run"
    try:
        writing = peak_rss_mib(
            [sys.executable, "-c", WRITE, str(store), str(DATES), str(ASSETS), str(FEATURES)],
            tmp_path / "write.log",
        )
        size_mib = sum(p.stat().st_size for p in store.iterdir()) / 2**20
        assert size_mib > 4 * BUDGET_MIB
        command = [sys.executable, "-m", "fla_encoders", "--log-level", "WARNING", *TRAIN]
        training = peak_rss_mib(
            [*command, "--data", str(store), "--out", str(run)], tmp_path / "train.log"
        )
        assert (run / "model.pt").is_file()
        print(
            f"store {size_mib:.0f} MiB; peak RSS {writing:.0f} MiB writing, {training:.0f} training"
        )
        assert writing < BUDGET_MIB and training < BUDGET_MIB
    finally:
        shutil.rmtree(store, ignore_errors=True)
