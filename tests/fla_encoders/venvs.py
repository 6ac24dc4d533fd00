"""Virtual environments of their own for the tests of frameworks that the development
environment does not hold (pyqlib, alphalens-reloaded: docs/ecosystem.md says why).

``cached_venv(name, requirements)`` gives the Python of ``build/test-venvs/<name>``: a fresh
environment where this repository is installed as `make dev` installs it (editable, every
extra: tools/build_dists.py develop) together with ``requirements``, in one pip run under
tools/constraints.txt (torch pinned). It is made once and reused while its key holds: the
Python, the requirements and the files the install reads. Being editable, it serves the working
tree: a rerun after a code change installs nothing. ``installed.json`` beside it records the
key, the requirements and how long the install took.
"""

import hashlib
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Dict, Sequence

from tests.release.test_release import run

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "build" / "test-venvs"
CONSTRAINTS = ROOT / "tools" / "constraints.txt"
SCRIPTS = ROOT / "tests" / "fla_encoders"
INSTALL_INPUTS = ("pyproject.toml", "tools/constraints.txt", "tools/build_dists.py")


def install_key(requirements: Sequence[str]) -> str:
    """What decides an environment's contents, hashed."""
    digest = hashlib.sha256(json.dumps([sys.version, list(requirements)]).encode())
    for name in INSTALL_INPUTS:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def cached_venv(name: str, requirements: Sequence[str]) -> Path:
    """The Python of environment ``name`` with ``requirements``, made if missing or stale."""
    folder = CACHE / name
    python = folder / "bin" / "python"
    record = folder / "installed.json"
    key = install_key(requirements)
    if record.exists() and python.exists() and json.loads(record.read_text())["key"] == key:
        return python
    shutil.rmtree(folder, ignore_errors=True)
    started = time.monotonic()
    run(sys.executable, "-m", "venv", folder)
    build = ROOT / "tools" / "build_dists.py"
    run(python, build, "develop", "-c", CONSTRAINTS, "-q", *requirements, cwd=ROOT)
    seconds = round(time.monotonic() - started, 1)
    record.write_text(
        json.dumps({"key": key, "requirements": list(requirements), "install_seconds": seconds})
    )
    return python


def script_report(python: Path, script: str, *args, work: Path) -> Dict[str, Any]:
    """Run tests/fla_encoders/``script`` with ``python`` (isolated: nothing of the source tree
    on its path) on ``args`` and ``work``, in ``work``; return the report.json it writes there."""
    run(python, "-I", SCRIPTS / script, *args, work, cwd=work)
    return json.loads((work / "report.json").read_text())
