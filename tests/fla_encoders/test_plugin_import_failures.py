"""A plugin that exits (``sys.exit``) at import is a load failure like any other: the host
process, ``list --check`` and ``compare``, goes on; only ``KeyboardInterrupt`` still stops."""

import json

import pytest

import fla_encoders.cli
from fla_encoders import (
    ENTRY_POINT_GROUP,
    EncoderLoadError,
    EncoderPluginWarning,
    FLAEncoderFactory,
)
from fla_encoders.cli import main
from tests.fla_encoders.encoders import target
from tests.fla_encoders.test_compare import TINY

EXITS = "import sys\nsys.exit(3)\n"


def test_a_plugin_exiting_at_import_warns_and_raises_but_spares_the_others(site, registry):
    module = site.add_module(EXITS)
    site.add_dist("exiting-dist", {"exiting": f"{module}:Encoder"})
    site.add_dist("good-dist", {"good": target("LastStep")})
    cause = "'exiting-dist'.*SystemExit: 3"
    with pytest.warns(EncoderPluginWarning, match=cause):
        with pytest.raises(EncoderLoadError, match=cause) as info:
            registry.get("exiting")
    assert isinstance(info.value.__cause__, SystemExit)
    with pytest.raises(EncoderLoadError, match="SystemExit"):  # remembered, not imported again
        registry.get("exiting")
    assert registry.create("good").output_dim == 4


def test_a_keyboard_interrupt_at_import_still_stops(site, registry):
    module = site.add_module("raise KeyboardInterrupt\n")
    site.add_dist("interrupted-dist", {"interrupted": f"{module}:Encoder"})
    with pytest.raises(KeyboardInterrupt):
        registry.get("interrupted")


def test_list_check_reports_a_plugin_exiting_at_import(site, registry, monkeypatch, capsys):
    monkeypatch.setattr(fla_encoders.cli, "FLAEncoderFactory", registry)
    site.add_dist("exiting-dist", {"exiting": f"{site.add_module(EXITS)}:Encoder"})
    site.add_dist("good-dist", {"good": target("LastStep")})
    assert main(["list", "--check"]) == 1
    rows = [line.split(None, 3) for line in capsys.readouterr().out.splitlines()]
    assert rows[1][0] == "exiting" and rows[1][3] == "failed: SystemExit: 3"
    assert rows[2][0] == "good" and rows[2][3] == "ok"


@pytest.fixture
def installed(site):
    """Install a distribution of ``site`` in the product's own entry-point group."""

    def install(name, entry_points):
        site.add_dist(name, entry_points, group=ENTRY_POINT_GROUP)
        FLAEncoderFactory.refresh()

    yield install
    FLAEncoderFactory.refresh()  # read again, without the site, on the next use


def test_compare_reports_a_plugin_exiting_at_import_as_unavailable(site, installed, tmp_path):
    installed("exiting-dist", {"exiting": f"{site.add_module(EXITS)}:Encoder"})
    out = tmp_path / "cmp"
    args = ["compare", "--encoders", "gru,exiting", "--seeds", "1", "--out", str(out)]
    assert main(["--log-level", "WARNING", *args, *TINY]) == 0
    results = json.loads((out / "results.json").read_text())
    assert "SystemExit" in results["unavailable"]["exiting"]
    assert len(results["runs"]["gru"]) == 1 and (out / "report.md").exists()
