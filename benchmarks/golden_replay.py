"""Replaying a golden case (shared/golden/README.md) on myfla: each comparison it makes, as
``(what, error, bound)``. The golden tests assert the bounds; golden_accuracy.py prints them."""

from typing import Callable, List, Tuple

import torch

import myfla.layers
from benchmarks.golden_fixtures import TOLERANCES, cast_tree, rel_err
from myfla.models import Cache
from myfla.ops.gla import fused_recurrent_gla


def replay_op_case(
    case: dict, chunk_op: Callable, recurrent_op: Callable, dtype: torch.dtype, device="cpu"
) -> List[Tuple[str, float, float]]:
    """Forward (chunk and recurrent) and chunk gradients; ``(what, error, bound)`` per comparison.

    Where fla's own result is further from the float64 reference than the bound (badly
    conditioned cases, see the README), only the float64 reference is used.
    """
    inputs, grad_output, grad_final_state, cu_seqlens = cast_tree(
        [case["inputs"], case["grad_output"], case["grad_final_state"], case["cu_seqlens"]],
        dtype,
        device,
    )
    inputs = {name: t for name, t in inputs.items() if t is not None}
    leaves = {name: t.clone().requires_grad_() for name, t in inputs.items()}
    kwargs = dict(case["kwargs"], cu_seqlens=cu_seqlens)
    o, state = chunk_op(**leaves, **kwargs)
    with torch.no_grad():
        o_rec, state_rec = recurrent_op(**inputs, **kwargs)
    vs_fla, vs_ref = TOLERANCES["op_vs_triton"][dtype], TOLERANCES["op_vs_fp64"][dtype]
    checks = []
    for label, mine, fla_key in [
        ("chunk output", o, "output"),
        ("chunk final state", state, "final_state"),
        ("recurrent output", o_rec, "fused_recurrent_output"),
        ("recurrent final state", state_rec, "fused_recurrent_final_state"),
    ]:
        ref_key = "ref_fp64_" + ("output" if "output" in label else "final_state")
        fla_is_reliable = ref_key not in case or rel_err(case[fla_key], case[ref_key]) <= vs_fla
        if fla_is_reliable:
            checks.append((f"{label} vs fla", rel_err(mine, case[fla_key]), vs_fla))
        if ref_key in case:
            checks.append((f"{label} vs float64 reference", rel_err(mine, case[ref_key]), vs_ref))
    grads, source, bound = case.get("ref_fp64_grads") or {}, "float64 reference", vs_ref
    if not grads and not case.get("grads_error"):
        # No float64 gradients: fla's own (Triton) gradients, at the op-vs-Triton bound.
        grads, source, bound = case.get("grads") or {}, "fla", vs_fla
    if grads:
        loss = (o * grad_output).sum() + (state * grad_final_state).sum()
        loss.backward()
        for name, ref in grads.items():
            checks.append(
                (f"gradient of {name} vs {source}", rel_err(leaves[name].grad, ref), bound)
            )
    return checks


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


def recurrent_gla_as_chunk(g=None, **kwargs):
    """``fused_recurrent_gla`` called with ``chunk_gla``'s input names (``g`` for ``gk``)."""
    return fused_recurrent_gla(gk=g, **kwargs)
