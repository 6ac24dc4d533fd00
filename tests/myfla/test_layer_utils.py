"""myfla.layers.utils: unpad/repad round trips, gradients, cache access, the choice of op."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from myfla.layers.utils import (
    get_layer_cache,
    get_unpad_data,
    index_first_axis,
    index_put_first_axis,
    pad_input,
    repad_hidden_states,
    select_mode,
    unpad_hidden_states,
    unpad_input,
    update_layer_cache,
)
from myfla.models import Cache

F64 = torch.float64
MASK = torch.tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 1]])


def test_get_unpad_data():
    indices, cu_seqlens, max_seqlen = get_unpad_data(MASK)
    assert indices.tolist() == [2, 3, 4, 5, 6, 7, 8, 9, 14]
    assert cu_seqlens.tolist() == [0, 3, 8, 9] and cu_seqlens.dtype == torch.int32
    assert max_seqlen == 5 and isinstance(max_seqlen, int)
    indices_bool, _, _ = get_unpad_data(MASK.bool())
    assert torch.equal(indices, indices_bool)


def test_unpad_repad_round_trip():
    hidden = torch.randn(3, 5, 2, 4, dtype=F64)
    packed, indices, cu_seqlens = unpad_hidden_states(hidden, None, MASK, q_len=5)
    assert packed.shape == (1, 9, 2, 4)
    assert torch.equal(packed[0, :3], hidden[0, 2:]) and torch.equal(packed[0, 8], hidden[2, 4])
    assert cu_seqlens.tolist() == [0, 3, 8, 9]
    restored = repad_hidden_states(packed, indices, batch_size=3, q_len=5)
    assert torch.equal(restored, hidden * MASK[:, :, None, None])


def test_unpad_is_skipped_with_cu_seqlens_or_without_mask():
    hidden = torch.randn(1, 6, 4)
    cu_seqlens = torch.tensor([0, 2, 6])
    out, indices, cu = unpad_hidden_states(hidden, cu_seqlens, torch.ones(1, 6), q_len=6)
    assert out is hidden and indices is None and cu is cu_seqlens
    out, indices, cu = unpad_hidden_states(hidden, None, None, q_len=6)
    assert out is hidden and indices is None and cu is None
    assert repad_hidden_states(hidden, None, 1, 6) is hidden


def test_unpad_decoding_uses_last_mask_columns():
    hidden = torch.randn(3, 2, 4)
    packed, indices, cu_seqlens = unpad_hidden_states(hidden, None, MASK, q_len=2)
    assert cu_seqlens.tolist() == [0, 2, 4, 5]
    assert torch.equal(packed[0, 4], hidden[2, 1])
    assert torch.equal(repad_hidden_states(packed, indices, 3, 2), hidden * MASK[:, -2:, None])


@settings(max_examples=25, deadline=None)
@given(mask=st.lists(st.lists(st.booleans(), min_size=6, max_size=6), min_size=1, max_size=4))
def test_round_trip_property(mask):
    mask = torch.tensor(mask)
    hidden = torch.randn(mask.shape[0], 6, 3)
    indices, cu_seqlens, _ = get_unpad_data(mask)
    packed = index_first_axis(hidden.reshape(-1, 3), indices)
    assert packed.shape[0] == int(mask.sum()) == int(cu_seqlens[-1])
    assert torch.equal(pad_input(packed, indices, mask.shape[0], 6), hidden * mask[..., None])


def test_index_functions_gradients():
    x = torch.randn(6, 2, 3, dtype=F64, requires_grad=True)
    indices = torch.tensor([4, 0, 3])
    assert torch.autograd.gradcheck(lambda t: index_first_axis(t, indices), (x,))
    rows = torch.randn(3, 2, 3, dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: index_put_first_axis(t, indices, 6), (rows,))
    index_first_axis(x, indices).sum().backward()
    assert x.grad[:, 0, 0].tolist() == [1.0, 0.0, 0.0, 1.0, 1.0, 0.0]


def test_gradient_through_unpad_and_repad():
    hidden = torch.randn(3, 5, 4, dtype=F64, requires_grad=True)
    packed, indices, _ = unpad_hidden_states(hidden, None, MASK, q_len=5)
    repad_hidden_states(packed * 2, indices, 3, 5).sum().backward()
    assert torch.equal(hidden.grad, 2 * MASK[:, :, None].expand(3, 5, 4).to(F64))


def test_unpad_input_prefill_and_decode():
    q, k, v = (torch.randn(3, 5, 2, 4) for _ in range(3))
    out_q, (out_k, out_v), indices_q, (cu_q, cu_k), (max_q, max_k) = unpad_input(q, (k, v), MASK, 5)
    indices, cu, _ = get_unpad_data(MASK)
    assert torch.equal(out_q, q.reshape(15, 2, 4)[indices]) and out_k.shape == (9, 2, 4)
    assert torch.equal(indices_q, indices) and torch.equal(cu_q, cu) and torch.equal(cu_k, cu)
    assert (max_q, max_k) == (5, 5)

    q1 = torch.randn(3, 1, 2, 4)
    (out_q,), states, indices_q, (cu_q, _), (max_q, _) = unpad_input(
        (q1,), (k, v), MASK, 1, keepdim=True
    )
    assert out_q.shape == (1, 3, 2, 4) and states[0].shape == (1, 9, 2, 4)
    assert cu_q.tolist() == [0, 1, 2, 3] and indices_q.tolist() == [0, 1, 2] and max_q == 1
    with pytest.raises(NotImplementedError, match="q_len"):
        unpad_input(torch.randn(3, 2, 4), (k,), MASK, 2)


class _Layer(nn.Module):
    def __init__(self, layer_idx):
        super().__init__()
        self.layer_idx = layer_idx


def test_layer_cache_access():
    cache = Cache()
    layer = _Layer(1)
    assert get_layer_cache(layer, cache) is None
    assert get_layer_cache(layer, None) is None and update_layer_cache(layer, None) is None
    state = update_layer_cache(layer, cache, recurrent_state=torch.ones(2), offset=3)
    assert len(cache) == 2 and get_layer_cache(layer, cache) is state
    assert cache.get_seq_length(1) == 3 and cache.get_seq_length(0) == 0
    with pytest.raises(ValueError, match="layer_idx"):
        get_layer_cache(_Layer(None), cache)
    with pytest.raises(ValueError, match="layer_idx"):
        update_layer_cache(_Layer(None), cache, recurrent_state=torch.ones(2))


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="attention_mask"):
        get_unpad_data(torch.ones(2, 3, 3))
    with pytest.raises(TypeError, match="attention_mask"):
        get_unpad_data([[1, 0]])
    with pytest.raises(ValueError, match="indices"):
        index_first_axis(torch.randn(4, 2), torch.tensor([[0, 1]]))
    with pytest.raises(ValueError, match="indices"):
        index_first_axis(torch.randn(4, 2), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="indices"):
        index_put_first_axis(torch.randn(3, 2), torch.tensor([0, 1]), 4)
    with pytest.raises(ValueError, match="hidden_states"):
        unpad_hidden_states(torch.randn(3, 4, 2), None, MASK, q_len=5)
    with pytest.raises(ValueError, match="q_len"):
        unpad_hidden_states(torch.randn(3, 6, 2), None, MASK, q_len=6)
    with pytest.raises(ValueError, match="hidden_states"):
        repad_hidden_states(torch.randn(2, 9, 4), torch.arange(9), 3, 5)


def fla_gdn_mode(mode, seq_len, training):
    """fla 0.6.0's GatedDeltaNet.forward, written out (None: its training assertion fails)."""
    if torch.is_grad_enabled():
        chosen = "chunk"
    elif seq_len <= 64 and not training:
        chosen = "fused_recurrent"
    else:
        chosen = mode
    return None if training and chosen != "chunk" else chosen


def fla_gla_mode(mode, seq_len, training):
    return "fused_recurrent" if seq_len <= 64 else mode


def fla_rwkv7_mode(mode, seq_len, training):
    chunk = training or seq_len >= 64 or torch.is_grad_enabled()
    return "chunk" if chunk else "fused_recurrent"


@pytest.mark.parametrize(
    "fla_rule,call",
    [
        (fla_gdn_mode, lambda m, t, tr: select_mode(m, t, tr, recurrent_only_in_inference=True)),
        (fla_gla_mode, lambda m, t, tr: select_mode(m, t, tr)),
        (
            fla_rwkv7_mode,
            lambda m, t, tr: select_mode(
                "chunk", t, tr, recurrent_max_len=63, recurrent_only_in_inference=True
            ),
        ),
    ],
    ids=["GatedDeltaNet", "GatedLinearAttention", "RWKV7Attention"],
)
@pytest.mark.parametrize("mode", ["chunk", "fused_recurrent", "fused_chunk"])
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("grad", [False, True])
def test_select_mode_follows_fla(fla_rule, call, mode, training, grad):
    for seq_len in (0, 1, 63, 64, 65, 200):
        with torch.set_grad_enabled(grad):
            expected = fla_rule(mode, seq_len, training)
            if expected is None:
                with pytest.raises(ValueError, match="only mode='chunk' in training"):
                    call(mode, seq_len, training)
            else:
                assert call(mode, seq_len, training) == expected, seq_len
