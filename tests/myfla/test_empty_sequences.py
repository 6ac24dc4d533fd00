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


def no_sequence(*shape):
    return torch.randn(0, 5, *shape, requires_grad=True)


NO_SEQUENCE_CALLS = {
    "chunk_gated_delta_rule": lambda: chunk_gated_delta_rule(
        no_sequence(H, K), no_sequence(H, K), no_sequence(H, V), no_sequence(H),
        no_sequence(H), output_final_state=True,
    ),
    "fused_recurrent_gated_delta_rule": lambda: fused_recurrent_gated_delta_rule(
        no_sequence(H, K), no_sequence(H, K), no_sequence(H, V), g=no_sequence(H),
        beta=no_sequence(H), output_final_state=True,
    ),
    "chunk_gla": lambda: chunk_gla(
        no_sequence(H, K), no_sequence(H, K), no_sequence(H, V), no_sequence(H, K),
        output_final_state=True,
    ),
    "fused_recurrent_gla": lambda: fused_recurrent_gla(
        no_sequence(H, K), no_sequence(H, K), no_sequence(H, V), gk=no_sequence(H, K),
        output_final_state=True,
    ),
    "chunk_rwkv7": lambda: chunk_rwkv7(
        *(no_sequence(H, K) for _ in range(3)), no_sequence(H, V),
        *(no_sequence(H, K) for _ in range(2)), output_final_state=True,
    ),
    "fused_recurrent_rwkv7": lambda: fused_recurrent_rwkv7(
        *(no_sequence(H, K) for _ in range(3)), no_sequence(H, V),
        *(no_sequence(H, K) for _ in range(2)), output_final_state=True,
    ),
}  # fmt: skip


@pytest.mark.parametrize("op", list(NO_SEQUENCE_CALLS))
def test_no_sequence_gives_empty_outputs_and_gradients(op):
    o, state = NO_SEQUENCE_CALLS[op]()
    assert o.shape == (0, 5, H, V) and state.shape == (0, H, K, V)
    (o.sum() + state.sum()).backward()
