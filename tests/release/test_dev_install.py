"""The development install (`make dev`) carries the declared metadata, entry points included."""

import importlib.metadata

import pytest

from tests.release.declared import DISTRIBUTIONS, VERSION, entry_points, normalized


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_the_dev_install_matches_the_declaration(name):
    _, project = DISTRIBUTIONS[name]
    dist = importlib.metadata.distribution(name)
    stale = f"the installed {name} differs from pyproject.toml: run `make dev`"
    assert dist.version == VERSION, stale
    requires = [r for r in dist.requires or [] if "extra ==" not in r]
    assert normalized(requires) == normalized(project["dependencies"]), stale
    installed = {}
    for ep in dist.entry_points:
        installed.setdefault(ep.group, {})[ep.name] = ep.value
    assert installed == entry_points(project), stale
