"""Fixtures: a fresh registry on a test-only entry-point group, and fake installed distributions."""

import importlib
import uuid
from pathlib import Path
from typing import Dict

import pytest

from fla_encoders import EncoderRegistry


class FakeSite:
    """A folder on ``sys.path`` holding fake distributions (``*.dist-info``) and plugin modules."""

    def __init__(self, folder: Path, group: str):
        self.folder = folder
        self.group = group

    def add_dist(self, name: str, entry_points: Dict[str, str], group: str = "") -> None:
        """Install distribution ``name`` whose entry points (name -> ``module:attr``) are in
        ``group`` (this site's group by default)."""
        info = self.folder / f"{name.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        lines = "".join(f"{key} = {value}\n" for key, value in entry_points.items())
        (info / "entry_points.txt").write_text(f"[{group or self.group}]\n{lines}")
        importlib.invalidate_caches()

    def add_module(self, source: str) -> str:
        """Write a module with ``source`` under a fresh name, not imported; return its name."""
        name = f"fake_plugin_{uuid.uuid4().hex[:12]}"
        (self.folder / f"{name}.py").write_text(source)
        importlib.invalidate_caches()
        return name


@pytest.fixture
def site(tmp_path, monkeypatch) -> FakeSite:
    monkeypatch.syspath_prepend(str(tmp_path))
    return FakeSite(tmp_path, group=f"tests.fla_encoders.{uuid.uuid4().hex[:12]}")


@pytest.fixture
def registry(site) -> EncoderRegistry:
    """A registry of its own, reading the entry points of ``site``'s group only."""
    return EncoderRegistry(group=site.group)
