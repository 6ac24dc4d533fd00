"""A NaN or Inf at step t never changes what comes before t: in the chunked ops (through any
input) and in the layers (through the hidden states), the outputs before t are those of the
finite prefix, as the token loops give them; from t on they are non-finite where the loop's are."""

import pytest
import torch
import torch.nn.functional as F

from myfla.layers import GatedDeltaNet, GatedLinearAttention, RWKV7Attention
from myfla.ops.gated_delta_rule import chunk_gated_delta_rule, fused_recurrent_gated_delta_rule
from myfla.ops.generalized_delta_rule import (
    chunk_dplr_delta_rule,
    fused_recurrent_dplr_delta_rule,
)
from myfla.ops.gla import chunk_gla, fused_recurrent_gla
from myfla.ops.rwkv7 import chunk_rwkv7, fused_recurrent_rwkv7
from tests.myfla.layer_helpers import hidden, perturbed_layer

B, T, H, K, V = 2, 150, 2, 8, 6
STEPS = [5, 64, 100]  # inside the first chunk, a chunk's first step, inside a later one


def rand(gen, *shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


def unit(gen, *shape):
    return torch.rand(*shape, generator=gen, dtype=torch.float64)


def gated_delta_rule_inputs(gen):
    return dict(
        q=rand(gen, B, T, H, K), k=rand(gen, B, T, H, K), v=rand(gen, B, T, H, V),
        g=F.logsigmoid(rand(gen, B, T, H)), beta=unit(gen, B, T, H),
        initial_state=rand(gen, B, H, K, V),
    )  # fmt: skip


def gla_inputs(gen):
    return dict(
        q=rand(gen, B, T, H, K), k=rand(gen, B, T, H, K), v=rand(gen, B, T, H, V),
        g=F.logsigmoid(rand(gen, B, T, H, K)) / 4, initial_state=rand(gen, B, H, K, V),
    )  # fmt: skip


def dplr_inputs(gen):
    kk = F.normalize(rand(gen, B, T, H, K), dim=-1)
    return dict(
        q=rand(gen, B, T, H, K), k=rand(gen, B, T, H, K), v=rand(gen, B, T, H, K), a=-kk,
        b=kk * unit(gen, B, T, H, K), gk=-0.6 * unit(gen, B, T, H, K),
        initial_state=rand(gen, B, H, K, K),
    )  # fmt: skip


def rwkv7_inputs(gen):
    x = dplr_inputs(gen)
    return dict(r=x["q"], w=x["gk"], k=x["k"], v=x["v"], a=x["a"], b=x["b"],
                initial_state=x["initial_state"])  # fmt: skip


OPS = {
    "chunk_gated_delta_rule": (
        gated_delta_rule_inputs,
        lambda **x: chunk_gated_delta_rule(**x, use_qk_l2norm_in_kernel=True),
        lambda **x: fused_recurrent_gated_delta_rule(**x, use_qk_l2norm_in_kernel=True),
    ),
    "chunk_gla": (
        gla_inputs, chunk_gla, lambda g, **x: fused_recurrent_gla(gk=g, **x),
    ),
    "chunk_rwkv7": (
        rwkv7_inputs, chunk_rwkv7, lambda **x: fused_recurrent_rwkv7(scale=1.0, **x),
    ),
    "chunk_dplr_delta_rule": (
        dplr_inputs, chunk_dplr_delta_rule, fused_recurrent_dplr_delta_rule,
    ),
}  # fmt: skip
LOG_DECAYS = ("g", "w", "gk")


def cases():
    for op, (make, _, _) in OPS.items():
        for name in make(torch.Generator()):
            if name == "initial_state":
                continue
            values = ["nan", "inf"] + ([] if name in LOG_DECAYS else ["-inf"])
            for value in values:
                yield op, name, value


def run(fn, inputs):
    return fn(**inputs, output_final_state=True)


@pytest.mark.parametrize("op,name,value", list(cases()))
def test_chunk_ops_are_causal_for_nonfinite_values(op, name, value, host_reads):
    make, chunk, recurrent = OPS[op]
    inputs = make(torch.Generator().manual_seed(0))
    o_clean, _ = run(chunk, inputs)
    for t in STEPS:
        dirty = dict(inputs)
        dirty[name] = inputs[name].clone()
        dirty[name][0, t, 1] = float(value)  # every entry of row 0's step t, head 1
        o, state = run(chunk, dirty)
        o_loop, state_loop = run(recurrent, dirty)
        prefix = {n: x if n == "initial_state" else x[:, :t] for n, x in inputs.items()}
        o_prefix, _ = run(chunk, prefix)
        torch.testing.assert_close(o[:, :t], o_clean[:, :t], rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(o[:, :t], o_prefix, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(o[1], o_clean[1], rtol=1e-12, atol=1e-12)  # the other row
        torch.testing.assert_close(o[0, :, 0], o_clean[0, :, 0], rtol=1e-12, atol=1e-12)
        assert torch.equal(torch.isfinite(o[0, t:, 1]), torch.isfinite(o_loop[0, t:, 1]))
        assert torch.equal(torch.isfinite(state), torch.isfinite(state_loop))


LAYERS = {
    "GatedDeltaNet": (GatedDeltaNet, dict(hidden_size=16, num_heads=2, head_dim=8)),
    "GatedLinearAttention": (GatedLinearAttention, dict(hidden_size=16, num_heads=2)),
    "RWKV7Attention": (RWKV7Attention, dict(hidden_size=16, head_dim=8, num_hidden_layers=1)),
}


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_layers_are_causal_for_nonfinite_hidden_states(name, training, value, host_reads):
    cls, kwargs = LAYERS[name]
    layer = perturbed_layer(cls, dict(kwargs, layer_idx=0)).train(training)
    x = hidden(2, 100)
    with torch.set_grad_enabled(training):
        clean = layer(x)[0]
        for t in (3, 64, 80):
            dirty = x.clone()
            dirty[0, t, 5] = value
            o = layer(dirty)[0]
            torch.testing.assert_close(o[0, :t], clean[0, :t], rtol=1e-12, atol=1e-12)
            torch.testing.assert_close(o[1], clean[1], rtol=1e-12, atol=1e-12)
            assert not torch.isfinite(o[0, t]).all()
