"""Every golden fixture naming RWKV7Attention or an RWKV7 op, in float64 and float32."""

import os

import pytest
import torch

from benchmarks.golden_replay import replay_layer_case, replay_op_case
from myfla.layers import RWKV7Attention
from myfla.ops.rwkv7 import chunk_rwkv7, fused_recurrent_rwkv7
from tests.golden import TOLERANCES, cases, golden_dir, load, rel_err
from tests.myfla.rwkv7_reference import layer_reference

RWKV7_OPS = {"chunk_rwkv7", "fused_recurrent_rwkv7"}
RWKV7_CASES = cases(lambda c: c.get("layer") == "RWKV7Attention" or c.get("op") in RWKV7_OPS)


def test_fixtures_are_found():
    if golden_dir() is None and not os.environ.get("MYFLA_REQUIRE_GOLDEN"):
        pytest.skip("no golden fixtures: put shared/golden beside the repo or set MYFLA_GOLDEN_DIR")
    assert len(RWKV7_CASES) >= 4, "the RWKV7 fixtures are missing or incomplete"


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("path", RWKV7_CASES, ids=[p.stem for p in RWKV7_CASES])
def test_matches_fla(path, dtype):
    case = load(path)
    if case["kind"] == "op":
        checks = replay_op_case(case, chunk_rwkv7, fused_recurrent_rwkv7, dtype)
    else:
        checks = replay_layer_case(case, dtype)
    failures = [f"{what}: {err:.3g} > {bound:g}" for what, err, bound in checks if not err <= bound]
    assert checks and not failures, "\n".join(failures)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
def test_fuse_norm_with_value_dim_matches_reference(dtype):
    """fla 0.6.0's ``rwkv7_train_fusenorm_vdim`` case crashes; myfla against its definition."""
    torch.manual_seed(43)
    kwargs = dict(hidden_size=64, head_dim=16, num_hidden_layers=4, layer_idx=2)
    layer = RWKV7Attention(**kwargs, fuse_norm=True, value_dim=128)
    with torch.no_grad():
        for param in layer.parameters():
            param.add_(0.1 * torch.randn_like(param))
    x, v_first = torch.randn(2, 100, 64), torch.randn(2, 100, 128)
    ref, _ = layer_reference(layer, x, v_first)
    layer.to(dtype).train()
    o = layer(x.to(dtype), v_first=v_first.to(dtype))[0]
    assert rel_err(o, ref) <= TOLERANCES["layer_vs_fp64"][dtype]
    o.sum().backward()
    assert all(p.grad is not None for p in layer.parameters())


REFERENCE_CASES = [p for p in RWKV7_CASES if "ref_fp64_output" in load(p).get("steps", [{}])[0]]


@pytest.mark.parametrize("path", REFERENCE_CASES, ids=[p.stem for p in REFERENCE_CASES])
def test_reference_matches_fixture_reference(path):
    """The test's float64 layer reference agrees with the fixtures' own."""
    case = load(path)
    layer = RWKV7Attention(**case["init_kwargs"])
    layer.load_state_dict(case["state_dict"])
    step = case["steps"][0]
    o, _ = layer_reference(layer, step["inputs"]["hidden_states"], step["inputs"].get("v_first"))
    assert rel_err(o, step["ref_fp64_output"]) <= 1e-12
