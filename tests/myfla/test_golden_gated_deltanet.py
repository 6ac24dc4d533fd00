"""Every golden fixture naming GatedDeltaNet or a gated-delta-rule op, in float64 and float32."""

import os

import pytest
import torch

from benchmarks.golden_replay import replay_layer_case, replay_op_case
from myfla.ops.gated_delta_rule import chunk_gated_delta_rule, fused_recurrent_gated_delta_rule
from tests.golden import cases, golden_dir, load

GDN_OPS = {
    "chunk_gated_delta_rule",
    "fused_recurrent_gated_delta_rule",
    "chunk_gdn",
    "fused_recurrent_gdn",
}
GDN_CASES = cases(lambda c: c.get("layer") == "GatedDeltaNet" or c.get("op") in GDN_OPS)


def test_fixtures_are_found():
    if golden_dir() is None and not os.environ.get("MYFLA_REQUIRE_GOLDEN"):
        pytest.skip("no golden fixtures: put shared/golden beside the repo or set MYFLA_GOLDEN_DIR")
    assert len(GDN_CASES) >= 12, "the GatedDeltaNet fixtures are missing or incomplete"


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("path", GDN_CASES, ids=[p.stem for p in GDN_CASES])
def test_matches_fla(path, dtype):
    case = load(path)
    if case["kind"] == "op":
        checks = replay_op_case(
            case, chunk_gated_delta_rule, fused_recurrent_gated_delta_rule, dtype
        )
    else:
        checks = replay_layer_case(case, dtype)
    failures = [f"{what}: {err:.3g} > {bound:g}" for what, err, bound in checks if not err <= bound]
    assert checks and not failures, "\n".join(failures)
