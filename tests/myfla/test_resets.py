"""A log decay of -inf is a full reset (the state is forgotten): the chunk ops stay exact there,
equal to the token loops, in outputs, final states and gradients."""

import pytest
import torch
import torch.nn.functional as F

from myfla.ops.gated_delta_rule import chunk_gated_delta_rule, fused_recurrent_gated_delta_rule
from myfla.ops.generalized_delta_rule import (
    chunk_dplr_delta_rule,
    fused_recurrent_dplr_delta_rule,
)
from myfla.ops.gla import chunk_gla, fused_recurrent_gla
from myfla.ops.rwkv7 import chunk_rwkv7, fused_recurrent_rwkv7
from tests.golden import rel_err

B, T, H, K, V = 2, 150, 2, 8, 6
# Reset steps: a chunk's first and last steps, two in one chunk, two in a row, the last step.
RESET_STEPS = [0, 63, 64, 70, 100, 101, 149]


def rand(gen, *shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


def with_resets(g, per_key):
    """``g`` with -inf at RESET_STEPS in every head of row 0, and (per key) in keys of row 1."""
    g = g.clone()
    g[0, RESET_STEPS] = float("-inf")
    if per_key:
        g[1, RESET_STEPS[1:4], :, ::3] = float("-inf")
    return g


def gated_delta_rule_case(gen):
    inputs = dict(
        q=rand(gen, B, T, H, K), k=rand(gen, B, T, H, K), v=rand(gen, B, T, H, V),
        g=with_resets(F.logsigmoid(rand(gen, B, T, H)), per_key=False),
        beta=torch.rand(B, T, H, generator=gen, dtype=torch.float64),
        initial_state=rand(gen, B, H, K, V), use_qk_l2norm_in_kernel=True,
    )  # fmt: skip
    return inputs, chunk_gated_delta_rule, fused_recurrent_gated_delta_rule


def gla_case(gen):
    inputs = dict(
        q=rand(gen, B, T, H, K), k=rand(gen, B, T, H, K), v=rand(gen, B, T, H, V),
        initial_state=rand(gen, B, H, K, V),
    )  # fmt: skip
    g = with_resets(F.logsigmoid(rand(gen, B, T, H, K)) / 4, per_key=True)
    return (
        inputs,
        lambda **kw: chunk_gla(g=g, **kw),
        lambda **kw: fused_recurrent_gla(gk=g, **kw),
    )


def rwkv7_case(gen):
    kk = F.normalize(rand(gen, B, T, H, K), dim=-1)
    inputs = dict(
        r=rand(gen, B, T, H, K),
        w=with_resets(-0.6 * torch.rand(B, T, H, K, generator=gen, dtype=torch.float64), True),
        k=rand(gen, B, T, H, K), v=rand(gen, B, T, H, K), a=-kk,
        b=kk * torch.rand(B, T, H, K, generator=gen, dtype=torch.float64),
        initial_state=rand(gen, B, H, K, K),
    )  # fmt: skip
    return inputs, chunk_rwkv7, lambda **kw: fused_recurrent_rwkv7(scale=1.0, **kw)


def dplr_case(gen):
    inputs, _, _ = rwkv7_case(gen)
    names = dict(r="q", w="gk", k="k", v="v", a="a", b="b", initial_state="initial_state")
    inputs = {names[n]: x for n, x in inputs.items()}
    return inputs, chunk_dplr_delta_rule, fused_recurrent_dplr_delta_rule


CASES = {
    "chunk_gated_delta_rule": gated_delta_rule_case,
    "chunk_gla": gla_case,
    "chunk_rwkv7": rwkv7_case,
    "chunk_dplr_delta_rule": dplr_case,
}


def outputs_and_grads(op, inputs, dtype):
    leaves = {
        n: x.to(dtype).requires_grad_() if torch.is_tensor(x) else x for n, x in inputs.items()
    }
    o, state = op(**leaves, output_final_state=True)
    (o.sin().sum() + state.cos().sum()).backward()
    grads = [x.grad for x in leaves.values() if torch.is_tensor(x) and x.dtype == dtype]
    return o, state, grads


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("dtype,bound", [(torch.float64, 1e-12), (torch.float32, 1e-5)])
def test_resets_are_exact(name, dtype, bound, host_reads):
    inputs, chunk, recurrent = CASES[name](torch.Generator().manual_seed(0))
    o, state, grads = outputs_and_grads(chunk, inputs, dtype)
    o_ref, state_ref, grads_ref = outputs_and_grads(recurrent, inputs, torch.float64)
    assert torch.isfinite(o).all() and torch.isfinite(state).all()
    assert rel_err(o, o_ref) < bound and rel_err(state, state_ref) < bound
    for grad, grad_ref in zip(grads, grads_ref):
        grad = torch.nan_to_num(grad, posinf=0.0, neginf=0.0)  # d/dg at g = -inf
        grad_ref = torch.nan_to_num(grad_ref, posinf=0.0, neginf=0.0)
        assert rel_err(grad, grad_ref) < bound * 10


def test_a_reset_forgets_the_initial_state():
    inputs, chunk, _ = gated_delta_rule_case(torch.Generator().manual_seed(1))
    inputs["g"][:, 10] = float("-inf")
    o, _ = chunk(**inputs)
    o_other, _ = chunk(**dict(inputs, initial_state=inputs["initial_state"] * 3))
    assert torch.equal(o[:, 10:], o_other[:, 10:]) and not torch.equal(o[:, :10], o_other[:, :10])
