"""The ``reader`` fixture: each CSV test runs with the standard library's reader (pyarrow
hidden, as in the base install) and with pyarrow's (the pandas extra)."""

import sys

import pytest


@pytest.fixture(name="reader", params=["standard", "pyarrow"])
def reader_fixture(request, monkeypatch) -> str:
    if request.param == "standard":
        monkeypatch.setitem(sys.modules, "pyarrow.csv", None)  # `import pyarrow.csv` fails
    else:
        pytest.importorskip("pyarrow.csv")
    return request.param
