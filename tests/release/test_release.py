"""The release: `make dist`'s build gives two correct wheels and sdists, and in a fresh virtual
environment a third-party encoder registers by its entry point alone, beside a broken plugin.

Slow (about a minute): it builds six distributions and installs torch into a new environment.
"""

import configparser
import email.parser
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.release.declared import (
    BUILD_SCRIPT,
    DISTRIBUTIONS,
    ROOT,
    VERSION,
    entry_points,
    normalized,
)

pytestmark = pytest.mark.slow

EXAMPLES = ("example_plugin", "broken_plugin")


def run(*command, **kwargs) -> subprocess.CompletedProcess:
    """Run ``command``; on a non-zero exit, fail with the end of its output."""
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    if done.returncode:
        pytest.fail(
            f"{' '.join(map(str, command))} exited {done.returncode}:\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


@pytest.fixture(scope="module")
def dist_dir(tmp_path_factory) -> Path:
    """What `make dist` builds (each wheel is built from its sdist)."""
    outdir = tmp_path_factory.mktemp("dist")
    run(sys.executable, BUILD_SCRIPT.__file__, "dist", "--outdir", outdir)
    return outdir


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory) -> Path:
    """Wheels of the example plugins, built from copies so that the source tree stays clean."""
    work = tmp_path_factory.mktemp("plugins")
    for example in EXAMPLES:
        source = shutil.copytree(ROOT / "examples" / example, work / "src" / example)
        run(sys.executable, "-m", "build", "--wheel", "--outdir", work / "wheels", source)
    return work / "wheels"


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory, dist_dir, plugin_dir) -> Path:
    """A fresh environment with the four wheels and their dependencies, torch pinned."""
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    wheels = sorted(dist_dir.glob("*.whl")) + sorted(plugin_dir.glob("*.whl"))
    run(python, "-m", "pip", "install", "-q", "-c", ROOT / "tools" / "constraints.txt", *wheels)
    return python


def test_dist_holds_exactly_the_two_wheels_and_the_two_sdists(dist_dir):
    expected = []
    for package, _ in DISTRIBUTIONS.values():
        expected += [f"{package}-{VERSION}-py3-none-any.whl", f"{package}-{VERSION}.tar.gz"]
    assert sorted(p.name for p in dist_dir.iterdir()) == sorted(expected)


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_each_wheel_holds_only_its_package_and_the_declared_metadata(dist_dir, name):
    package, project = DISTRIBUTIONS[name]
    info = f"{package}-{VERSION}.dist-info"
    with zipfile.ZipFile(dist_dir / f"{package}-{VERSION}-py3-none-any.whl") as wheel:
        assert {n.split("/")[0] for n in wheel.namelist()} == {package, info}
        assert f"{package}/__init__.py" in wheel.namelist()
        metadata = email.parser.Parser().parsestr(wheel.read(f"{info}/METADATA").decode())
        groups = configparser.ConfigParser(delimiters=("=",))
        groups.optionxform = str  # entry-point names are case-sensitive
        if f"{info}/entry_points.txt" in wheel.namelist():
            groups.read_string(wheel.read(f"{info}/entry_points.txt").decode())
    assert (metadata["Name"], metadata["Version"]) == (name, VERSION)
    assert metadata["Requires-Python"] == project["requires-python"]
    assert metadata["License-Expression"] == project["license"]
    requires = [r for r in metadata.get_all("Requires-Dist") if "extra ==" not in r]
    assert normalized(requires) == normalized(project["dependencies"])
    assert {g: dict(groups[g]) for g in groups.sections()} == entry_points(project)


def test_fla_encoders_pins_the_myfla_it_was_released_with():
    _, project = DISTRIBUTIONS["fla-encoders"]
    assert f"myfla=={VERSION}" in project["dependencies"]


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_each_sdist_holds_only_its_package_and_project_files(dist_dir, name):
    package, _ = DISTRIBUTIONS[name]
    with tarfile.open(dist_dir / f"{package}-{VERSION}.tar.gz") as sdist:
        tops = {m.name.split("/")[1] for m in sdist.getmembers() if "/" in m.name}
    project_files = {"PKG-INFO", "pyproject.toml", "setup.cfg", "README.md", "LICENSE"}
    assert tops == {package, f"{package}.egg-info"} | project_files


CHECK = r"""
import json, sys, warnings
import torch
import fla_encoders, myfla
from fla_encoders import EncoderLoadError, FLAEncoderFactory

def run_example():
    encoder = FLAEncoderFactory.create("example_mean_pool", n_features=5, hidden_size=8)
    encoded, extra_info = encoder(torch.randn(2, 7, 5))
    return {"shape": list(encoded.shape), "output_dim": encoder.output_dim, "extra": extra_info}

report = {"files": [fla_encoders.__file__, myfla.__file__], "prefix": sys.prefix,
          "available": FLAEncoderFactory.list_available(),
          "plugin_modules_imported_by_listing": sorted(
              m for m in sys.modules if m.endswith("encoder_plugin"))}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    report["example"] = run_example()
    report["warnings_from_example"] = [str(w.message) for w in caught]
    caught.clear()
    try:
        FLAEncoderFactory.create("broken_example")
    except EncoderLoadError as exc:
        report["broken"] = {"error": str(exc), "cause": type(exc.__cause__).__name__}
    report["warnings_from_broken"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    report["example_after_broken"] = run_example()
print(json.dumps(report))
"""


def test_in_a_fresh_venv_the_example_plugin_works_beside_the_broken_one(venv_python, tmp_path):
    # -I and a neutral working directory: nothing of the source tree can be imported.
    report = json.loads(run(venv_python, "-I", "-c", CHECK, cwd=tmp_path).stdout)
    assert all(f.startswith(report["prefix"] + "/") for f in report["files"])
    assert {"example_mean_pool", "broken_example"} <= set(report["available"])
    assert report["plugin_modules_imported_by_listing"] == []
    example = {"shape": [2, 8], "output_dim": 8, "extra": {"time_steps": 7}}
    assert report["example"] == report["example_after_broken"] == example
    assert report["warnings_from_example"] == []
    assert "'broken-encoder-plugin'" in report["broken"]["error"]
    assert report["broken"]["cause"] == "RuntimeError"
    [warning] = report["warnings_from_broken"]
    assert warning.startswith(
        "EncoderPluginWarning: encoder 'broken_example' from distribution 'broken-encoder-plugin'"
    )
    assert "RuntimeError: broken_encoder_plugin fails to import, on purpose" in warning


def test_in_a_fresh_venv_the_command_line_lists_and_checks(venv_python, tmp_path):
    listing = run(venv_python, "-I", "-m", "fla_encoders", "list", cwd=tmp_path).stdout
    rows = {tuple(line.split()[:2]) for line in listing.splitlines() if line.strip()}
    # Column widths follow the longest name, so compare the rows' words, not their spacing.
    assert ("example_mean_pool", "example-encoder-plugin") in rows
    assert ("broken_example", "broken-encoder-plugin") in rows
    check = subprocess.run(
        [str(venv_python), "-I", "-m", "fla_encoders", "list", "--check"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert check.returncode == 1
    assert "failed: RuntimeError: broken_encoder_plugin fails to import" in check.stdout
    assert any(
        line.split()[-2:] == ["example_encoder_plugin:MeanPoolEncoder", "ok"]
        for line in check.stdout.splitlines()
        if line.strip()
    ), check.stdout
