"""Replaying a golden op case (shared/golden/README.md) on a myfla op."""

from typing import Callable, List, Tuple

import torch

from tests.golden import TOLERANCES, cast_tree, rel_err


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
