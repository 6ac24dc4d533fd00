"""Every golden fixture naming GatedLinearAttention or a GLA op, in float64 and float32."""

import os

import pytest
import torch

from benchmarks.golden_replay import recurrent_gla_as_chunk, replay_layer_case, replay_op_case
from myfla.ops.gla import chunk_gla
from tests.golden import cases, golden_dir, load

GLA_OPS = {"chunk_gla", "fused_chunk_gla", "fused_recurrent_gla"}
GLA_CASES = cases(lambda c: c.get("layer") == "GatedLinearAttention" or c.get("op") in GLA_OPS)


def test_fixtures_are_found():
    if golden_dir() is None and not os.environ.get("MYFLA_REQUIRE_GOLDEN"):
        pytest.skip("no golden fixtures: put shared/golden beside the repo or set MYFLA_GOLDEN_DIR")
    assert len(GLA_CASES) >= 12, "the GatedLinearAttention fixtures are missing or incomplete"


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("path", GLA_CASES, ids=[p.stem for p in GLA_CASES])
def test_matches_fla(path, dtype):
    case = load(path)
    if case["kind"] == "op":
        checks = replay_op_case(case, chunk_gla, recurrent_gla_as_chunk, dtype)
    else:
        checks = replay_layer_case(case, dtype)
    failures = [f"{what}: {err:.3g} > {bound:g}" for what, err, bound in checks if not err <= bound]
    assert checks and not failures, "\n".join(failures)
