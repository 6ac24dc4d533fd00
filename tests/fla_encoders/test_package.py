"""What the package exports, its process-wide factory, and what it never imports."""

import subprocess
import sys

import pytest

import fla_encoders
import myfla
from fla_encoders import ENTRY_POINT_GROUP, EncoderRegistry, FLAEncoderFactory
from tests.fla_encoders.encoders import LastStep, target


def test_exports():
    assert fla_encoders.FLAEncoderStrategy is fla_encoders.registry.FLAEncoderStrategy
    assert isinstance(FLAEncoderFactory, EncoderRegistry)
    assert FLAEncoderFactory.group == ENTRY_POINT_GROUP == "fla_encoders.strategies"


def test_both_packages_share_one_version():
    assert fla_encoders.__version__ == myfla.__version__ == myfla.version.__version__


@pytest.fixture
def factory_refreshed_after():
    yield FLAEncoderFactory
    FLAEncoderFactory.refresh()  # forget the fake distribution once it is off sys.path


def test_the_factory_discovers_the_fla_encoders_group(site, factory_refreshed_after):
    site.add_dist("plugin-a", {"tests_last_step": target("LastStep")}, group=ENTRY_POINT_GROUP)
    FLAEncoderFactory.refresh()
    assert "tests_last_step" in FLAEncoderFactory.list_available()
    assert isinstance(FLAEncoderFactory.create("tests_last_step"), LastStep)


def test_importing_the_packages_imports_neither_fla_nor_triton():
    code = (
        "import sys, myfla, fla_encoders\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fla', 'triton')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
