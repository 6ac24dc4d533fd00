"""The helpers at fla's op paths: naive_chunk_gated_delta_rule against the token-by-token
recurrence, and fla.ops.utils' index and packing helpers."""

import pytest
import torch
import torch.nn.functional as F

from myfla.ops.gated_delta_rule import (
    naive_chunk_gated_delta_rule,
    naive_recurrent_gated_delta_rule,
)
from myfla.ops.utils import (
    pack_sequence,
    prepare_chunk_indices,
    prepare_chunk_offsets,
    prepare_cu_seqlens_from_mask,
    prepare_lens,
    prepare_position_ids,
    prepare_sequence_ids,
    prepare_token_indices,
    unpack_sequence,
)


@pytest.mark.parametrize("seq_len, chunk_size, v_heads", [(37, 16, 2), (64, 64, 4), (5, 8, 2)])
def test_naive_chunk_equals_the_recurrence(seq_len, chunk_size, v_heads):
    torch.manual_seed(seq_len)
    b, h, k, v = 2, 2, 8, 6

    def randn(*shape):
        return torch.randn(*shape, dtype=torch.float64)

    q, key = randn(b, seq_len, h, k), F.normalize(randn(b, seq_len, h, k), dim=-1)
    value = randn(b, seq_len, v_heads, v)
    g = F.logsigmoid(randn(b, seq_len, v_heads))
    beta = torch.rand(b, seq_len, v_heads, dtype=torch.float64)
    h0 = randn(b, v_heads, k, v)
    expected = naive_recurrent_gated_delta_rule(
        q, key, value, beta, g, initial_state=h0, output_final_state=True
    )
    got = naive_chunk_gated_delta_rule(
        q, key, value, g, beta, chunk_size=chunk_size, initial_state=h0, output_final_state=True
    )
    for mine, ref in zip(got, expected):
        torch.testing.assert_close(mine, ref, rtol=1e-10, atol=1e-10)


def test_index_helpers():
    mask = torch.tensor([[0, 1, 1], [1, 1, 1], [0, 0, 0], [0, 0, 1]])
    cu = prepare_cu_seqlens_from_mask(mask)
    assert cu.tolist() == [0, 2, 5, 5, 6] and cu.dtype == torch.int32
    assert prepare_lens(cu).tolist() == [2, 3, 0, 1]
    assert prepare_position_ids(cu).tolist() == [0, 1, 0, 1, 2, 0]
    assert prepare_sequence_ids(cu).tolist() == [0, 0, 1, 1, 1, 2]  # non-empty ones, as fla
    assert prepare_token_indices(cu).tolist() == [[0, 0], [0, 1], [1, 0], [1, 1], [1, 2], [2, 0]]
    assert prepare_chunk_indices(cu, 2).tolist() == [[0, 0], [1, 0], [1, 1], [3, 0]]
    assert prepare_chunk_offsets(cu, 2).tolist() == [0, 1, 3, 3, 4]


@pytest.mark.parametrize("side", ["left", "right"])
def test_pack_and_unpack_round_trip(side):
    lens = torch.tensor([2, 3, 0, 1])
    cu = F.pad(lens.cumsum(0), (1, 0))
    padded = torch.zeros(4, 3, 2)
    for i, n in enumerate(lens.tolist()):
        rows = slice(3 - n, 3) if side == "left" else slice(0, n)
        padded[i, rows] = torch.arange(1, n + 1, dtype=torch.float32)[:, None] + 10 * i
    packed = pack_sequence(padded, cu, padding_side=side)
    assert packed[:, 0].tolist() == [1, 2, 11, 12, 13, 31]
    assert torch.equal(unpack_sequence(packed, cu, side, desired_shape=padded.shape), padded)
