"""``python -m fla_encoders list [--check]``."""

import subprocess
import sys

import pytest

import fla_encoders.cli
from fla_encoders.cli import main
from tests.fla_encoders.encoders import MeanPool, target

LAST = target("LastStep")


@pytest.fixture
def cli_registry(registry, monkeypatch):
    monkeypatch.setattr(fla_encoders.cli, "FLAEncoderFactory", registry)
    return registry


def test_list_shows_names_distributions_and_targets(site, cli_registry, capsys):
    site.add_dist("plugin-b", {"enc": LAST, "other": LAST})
    site.add_dist("plugin-a", {"enc": target("MeanPool")})
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "DISTRIBUTION", "TARGET"]
    assert [line.split() for line in lines[1:]] == [
        ["enc", "plugin-a", target("MeanPool")],
        ["plugin-b", LAST],
        ["other", "plugin-b", LAST],
    ]


def test_list_check_loads_each_and_reports_failures(site, cli_registry, capsys):
    site.add_dist("broken-dist", {"broken": "no_such_module_anywhere:Encoder"})
    site.add_dist("good-dist", {"good": LAST})
    cli_registry.register("in_code")(MeanPool)
    assert main(["list", "--check"]) == 1
    captured = capsys.readouterr()
    rows = [line.split(None, 3) for line in captured.out.splitlines()]
    assert rows == [
        ["NAME", "DISTRIBUTION", "TARGET", "STATUS"],
        [
            "broken",
            "broken-dist",
            "no_such_module_anywhere:Encoder",
            "failed: ModuleNotFoundError: No module named 'no_such_module_anywhere'",
        ],
        ["good", "good-dist", LAST, "ok"],
        ["in_code", "(in-code)", target("MeanPool"), "ok"],
    ]
    assert captured.err == ""  # the table replaces the warning


def test_list_check_passes_when_every_encoder_loads(site, cli_registry, capsys):
    site.add_dist("good-dist", {"good": LAST})
    assert main(["list", "--check"]) == 0


def test_list_with_no_encoders_says_so(cli_registry, capsys):
    assert main(["list"]) == 0
    assert "no encoders" in capsys.readouterr().out


def test_python_dash_m_runs_the_cli():
    out = subprocess.run(
        [sys.executable, "-m", "fla_encoders", "list"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip()
