"""Fixtures shared by the myfla tests."""

import pytest

from myfla.ops.kernels import decays, nonfinite


@pytest.fixture(params=["host reads", "no host reads"])
def host_reads(request, monkeypatch):
    """Run a test as on the CPU (kernels may read values on the host to pick a path) and as on a
    GPU or under torch.compile (they take the path that suits every input)."""
    if request.param == "no host reads":
        for module in (decays, nonfinite):
            monkeypatch.setattr(module, "host_reads_are_free", lambda x: False)
    return request.param
