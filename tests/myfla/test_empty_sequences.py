"""Every public op passes an empty sequence's initial state through, batched or packed."""

import pytest
import torch

from myfla.ops.gated_delta_rule import chunk_gated_delta_rule, fused_recurrent_gated_delta_rule
from myfla.ops.gla import chunk_gla, fused_chunk_gla, fused_recurrent_gla
from myfla.ops.rwkv7 import chunk_rwkv7, fused_mul_recurrent_rwkv7, fused_recurrent_rwkv7

B, H, K, V = 2, 3, 8, 4


def empty(*shape):
    return torch.zeros(B, 0, *shape)


def gated_delta_rule_inputs():
    return (empty(H, K), empty(H, K), empty(H, V), empty(H), empty(H))


def gla_inputs():
    return (empty(H, K), empty(H, K), empty(H, V), empty(H, K))


def rwkv7_inputs():
    return (empty(H, K), empty(H, K), empty(H, K), empty(H, V), empty(H, K), empty(H, K))


CALLS = {
    "chunk_gated_delta_rule": lambda **kw: chunk_gated_delta_rule(*gated_delta_rule_inputs(), **kw),
    "fused_recurrent_gated_delta_rule": lambda **kw: fused_recurrent_gated_delta_rule(
        *gated_delta_rule_inputs()[:3], g=empty(H), beta=empty(H), **kw
    ),
    "chunk_gla": lambda **kw: chunk_gla(*gla_inputs(), **kw),
    "fused_chunk_gla": lambda **kw: fused_chunk_gla(*gla_inputs(), **kw),
    "fused_recurrent_gla": lambda **kw: fused_recurrent_gla(
        *gla_inputs()[:3], gk=empty(H, K), **kw
    ),
    "chunk_rwkv7": lambda **kw: chunk_rwkv7(*rwkv7_inputs(), **kw),
    "fused_recurrent_rwkv7": lambda **kw: fused_recurrent_rwkv7(*rwkv7_inputs(), **kw),
    "fused_mul_recurrent_rwkv7": lambda **kw: fused_mul_recurrent_rwkv7(*rwkv7_inputs(), **kw),
}


@pytest.mark.parametrize("op", list(CALLS))
def test_empty_sequence_returns_the_initial_state(op):
    h0 = torch.randn(B, H, K, V)
    o, state = CALLS[op](initial_state=h0, output_final_state=True)
    assert o.shape == (B, 0, H, V)
    assert torch.equal(state, h0)


@pytest.mark.parametrize("op", list(CALLS))
def test_no_initial_state_gives_a_zero_state(op):
    o, state = CALLS[op](output_final_state=True)
    assert o.shape == (B, 0, H, V)
    assert state.shape == (B, H, K, V) and not state.any()


@pytest.mark.parametrize("op", [chunk_rwkv7, fused_recurrent_rwkv7])
def test_packed_empty_sequences_return_their_initial_states(op):
    x = torch.zeros(1, 0, H, K)
    h0 = torch.randn(2, H, K, K)
    o, state = op(
        x,
        x,
        x,
        x,
        x,
        x,
        initial_state=h0,
        output_final_state=True,
        cu_seqlens=torch.tensor([0, 0, 0]),
    )
    assert o.shape == (1, 0, H, K)
    assert torch.equal(state, h0)
