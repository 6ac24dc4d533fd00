"""fla_encoders.contrib: the adapters to other frameworks stay apart from the rest of the
package, import their framework only when imported, and say what to install without it."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import fla_encoders
from tests.import_graph import imports

PACKAGE = Path(fla_encoders.__file__).parent
FRAMEWORKS = ("qlib", "alphalens")


def test_only_contrib_imports_the_frameworks():
    found = [
        f"{importer} imports {module} ({path.name}:{line})"
        for importer, (path, line, module) in imports(PACKAGE)
        if module.split(".")[0] in FRAMEWORKS and not importer.startswith("fla_encoders.contrib")
    ]
    assert found == []


def test_neither_cli_nor_contrib_imports_the_other():
    found = [
        f"{importer} imports {module}"
        for importer, (_, _, module) in imports(PACKAGE)
        if (importer.startswith("fla_encoders.contrib") and module.startswith("fla_encoders.cli"))
        or (importer == "fla_encoders.cli" and module.startswith("fla_encoders.contrib"))
    ]
    assert found == []


def test_the_contrib_package_imports_no_framework():
    check = (
        "import sys, fla_encoders.contrib; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'qlib', 'alphalens', 'pandas'}))"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.skipif(importlib.util.find_spec("qlib") is not None, reason="pyqlib is installed")
def test_without_pyqlib_the_qlib_adapter_says_what_to_install():
    with pytest.raises(ImportError, match=r"needs pyqlib .*pip install pyqlib"):
        importlib.import_module("fla_encoders.contrib.qlib")
