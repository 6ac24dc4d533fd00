"""The golden fixtures for the tests: the access to them that benchmarks/golden_fixtures.py
shares with the benchmarks, and the cases a test module collects."""

from pathlib import Path
from typing import List

from benchmarks.golden_fixtures import (
    TOLERANCES,
    cast_tree,
    fixture_paths,
    golden_dir,
    load,
    rel_err,
)

__all__ = ["TOLERANCES", "cases", "cast_tree", "fixture_paths", "golden_dir", "load", "rel_err"]


def cases(predicate) -> List[Path]:
    """Fixture files whose contents satisfy ``predicate(case_dict)``; read at collection time."""
    return [path for path in fixture_paths("") if predicate(load(path))]
