"""What every chunked op shares: an empty sequence passes its initial state through."""

import pytest
import torch

from myfla.ops.gated_delta_rule import chunk_gated_delta_rule
from myfla.ops.gla import chunk_gla
from myfla.ops.rwkv7 import chunk_rwkv7

B, H, K, V = 2, 3, 8, 4


def empty(*shape):
    return torch.zeros(B, 0, *shape)


CALLS = {
    "gated_delta_rule": lambda h0: chunk_gated_delta_rule(
        empty(H, K), empty(H, K), empty(H, V), empty(H), empty(H), initial_state=h0,
        output_final_state=True,
    ),
    "gla": lambda h0: chunk_gla(
        empty(H, K), empty(H, K), empty(H, V), empty(H, K), initial_state=h0,
        output_final_state=True,
    ),
    "rwkv7": lambda h0: chunk_rwkv7(
        empty(H, K), empty(H, K), empty(H, K), empty(H, V), empty(H, K), empty(H, K),
        initial_state=h0, output_final_state=True,
    ),
}  # fmt: skip


@pytest.mark.parametrize("op", list(CALLS))
def test_empty_sequence_returns_the_initial_state(op):
    h0 = torch.randn(B, H, K, V)
    o, state = CALLS[op](h0)
    assert o.shape == (B, 0, H, V)
    assert torch.equal(state, h0)
