"""How far myfla is from each golden fixture, in float64 and float32 (run from the repo root).

    PYTHONPATH=. python benchmarks/golden_accuracy.py [--device cuda] [NAME_PREFIX ...]

Prints the worst relative error of each case against fla's Triton result and against the float64
reference, with the README's bound beside it. The tests assert the same comparisons.
"""

import argparse

import torch

from benchmarks.golden_fixtures import fixture_paths, load
from benchmarks.golden_replay import recurrent_gla_as_chunk, replay_layer_case, replay_op_case
from myfla.ops.gated_delta_rule import chunk_gated_delta_rule, fused_recurrent_gated_delta_rule
from myfla.ops.gla import chunk_gla
from myfla.ops.rwkv7 import chunk_rwkv7, fused_recurrent_rwkv7

OPS = {
    "chunk_gated_delta_rule": (chunk_gated_delta_rule, fused_recurrent_gated_delta_rule),
    "chunk_gla": (chunk_gla, recurrent_gla_as_chunk),
    "chunk_rwkv7": (chunk_rwkv7, fused_recurrent_rwkv7),
}
LAYERS = {"GatedDeltaNet", "GatedLinearAttention", "RWKV7Attention"}


def main(prefixes, device):
    print(f"{'case':<26}{'dtype':<9}{'vs fla':>10}{'bound':>8}{'vs fp64':>10}{'bound':>8}")
    for path in fixture_paths(*(prefixes or [""])):
        case = load(path)
        if case.get("op") not in OPS and case.get("layer") not in LAYERS:
            continue
        for dtype in (torch.float64, torch.float32):
            if case["kind"] == "op":
                checks = replay_op_case(case, *OPS[case["op"]], dtype, device)
            else:
                checks = replay_layer_case(case, dtype, device)
            cols = []
            for kind in ("vs fla", "vs float64"):
                mine = [(err, bound) for what, err, bound in checks if kind in what]
                cols.append(max(mine) if mine else (float("nan"), float("nan")))
            (e1, b1), (e2, b2) = cols
            print(f"{path.stem:<26}{str(dtype)[6:]:<9}{e1:>10.1e}{b1:>8.0e}{e2:>10.1e}{b2:>8.0e}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="fixture name prefixes (default: all)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    main(args.prefixes, args.device)
