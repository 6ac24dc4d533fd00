"""The distributions as pyproject.toml declares them, read by tools/build_dists.py itself."""

import importlib.util
from pathlib import Path
from typing import Dict, List

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _build_script():
    spec = importlib.util.spec_from_file_location("build_dists", ROOT / "tools" / "build_dists.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD_SCRIPT = _build_script()
VERSION = BUILD_SCRIPT.read_version()
DISTRIBUTIONS = BUILD_SCRIPT.read_distributions(VERSION)  # name -> (package, [project] table)


def normalized(requirements: List[str]) -> List[str]:
    """Requirements in one spelling, sorted, so that metadata and declaration compare."""
    return sorted(str(Requirement(r)) for r in requirements)


def entry_points(project: dict) -> Dict[str, Dict[str, str]]:
    """The declared entry points by group, console scripts included (metadata lists them in
    ``console_scripts``), empty groups left out (metadata has none)."""
    groups = {"console_scripts": project.get("scripts", {}), **project.get("entry-points", {})}
    return {group: dict(eps) for group, eps in groups.items() if eps}
