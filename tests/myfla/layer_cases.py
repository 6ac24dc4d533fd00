"""Replaying a golden layer case (shared/golden/README.md) on a myfla layer."""

from typing import List, Tuple

import torch

import myfla.layers
from myfla.models import Cache
from tests.golden import TOLERANCES, cast_tree, rel_err


def replay_layer_case(
    case: dict, dtype: torch.dtype, device="cpu"
) -> List[Tuple[str, float, float]]:
    """Run every step of ``case`` in ``dtype``; ``(what, error, bound)`` for each comparison."""
    layer_cls = getattr(myfla.layers, case["layer"])
    layer = layer_cls(**case["init_kwargs"])
    layer.load_state_dict(case["state_dict"], strict=True)
    layer.to(device, dtype)
    cache = Cache() if any(step["use_cache"] for step in case["steps"]) else None
    checks = []
    for i, step in enumerate(case["steps"]):
        layer.train(step["train"])
        inputs = cast_tree(step["inputs"], dtype, device)
        with torch.set_grad_enabled(step["train"]):
            out = layer(**inputs, past_key_values=cache, use_cache=step["use_cache"])
        checks.append(
            (
                f"step {i} output vs fla",
                rel_err(out[0], step["output"]),
                TOLERANCES["layer_vs_triton"][dtype],
            )
        )
        if "ref_fp64_output" in step:
            checks.append(
                (
                    f"step {i} output vs float64 reference",
                    rel_err(out[0], step["ref_fp64_output"]),
                    TOLERANCES["layer_vs_fp64"][dtype],
                )
            )
        if "v_first_out" in step:
            checks.append(
                (
                    f"step {i} v_first vs fla",
                    rel_err(out[3], step["v_first_out"]),
                    TOLERANCES["layer_vs_triton"][dtype],
                )
            )
        if "cache" in step:
            checks.extend(
                _cache_checks(
                    i, cache[layer.layer_idx], cache, layer.layer_idx, step["cache"], dtype
                )
            )
    return checks


def _cache_checks(i, mine: dict, cache, layer_idx: int, expected: dict, dtype):
    bound = TOLERANCES["layer_vs_triton"][dtype]
    checks = []
    if cache.get_seq_length(layer_idx) != expected["seq_length"]:
        checks.append(
            (
                f"step {i} cache seq_length {cache.get_seq_length(layer_idx)} "
                f"!= {expected['seq_length']}",
                1.0,
                0.0,
            )
        )
    for key in ("recurrent_state", "conv_state"):
        ref = expected.get(key)
        if ref is None:
            continue
        got = mine[key]
        pairs = zip(got, ref) if isinstance(ref, (list, tuple)) else [(got, ref)]
        for j, (g, r) in enumerate(pairs):
            if tuple(g.shape) != tuple(r.shape):
                checks.append(
                    (
                        f"step {i} cache {key}[{j}] shape {tuple(g.shape)} != {tuple(r.shape)}",
                        1.0,
                        0.0,
                    )
                )
            else:
                checks.append((f"step {i} cache {key}[{j}] vs fla", rel_err(g, r), bound))
    return checks
