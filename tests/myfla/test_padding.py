"""Left padding is inert whatever it holds: NaN or Inf in padded steps never reach the tokens."""

import pytest
import torch

from myfla.layers import GatedDeltaNet, GatedLinearAttention, RWKV7Attention
from myfla.models import Cache
from myfla.modules import ShortConvolution
from tests.myfla.layer_helpers import hidden, perturbed_layer

LAYERS = {
    "GatedDeltaNet": (GatedDeltaNet, dict(hidden_size=16, num_heads=2, head_dim=8)),
    "GatedLinearAttention": (
        GatedLinearAttention, dict(hidden_size=16, num_heads=2, use_short_conv=True),
    ),
    "RWKV7Attention": (RWKV7Attention, dict(hidden_size=16, head_dim=8, num_hidden_layers=2)),
}  # fmt: skip
PAD = (3, 0, 7)  # padded steps per row


def padding_mask(seq_len):
    mask = torch.ones(len(PAD), seq_len, dtype=torch.long)
    for row, pad in enumerate(PAD):
        mask[row, :pad] = 0
    return mask


def fill_padding(x, mask, value):
    return x.masked_fill((mask == 0).unsqueeze(-1), value)


def run(layer, x, mask, layer_idx, value):
    """The layer's output on ``x`` with ``value`` in its padded steps (and in ``v_first``'s)."""
    if layer_idx == 0:
        return layer(fill_padding(x, mask, value), attention_mask=mask)[0]
    v_first = fill_padding(hidden(*x.shape[:2], seed=5), mask, value)
    return layer(fill_padding(x, mask, value), attention_mask=mask, v_first=v_first)[0]


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("seq_len", [10, 70])  # the token loop and the chunk op in eval mode
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("value", [float("nan"), -float("inf"), 1e30])
def test_padding_values_never_reach_the_tokens(name, seq_len, training, value):
    cls, kwargs = LAYERS[name]
    layer_idx = 1 if cls is RWKV7Attention else 0
    layer = perturbed_layer(cls, dict(kwargs, layer_idx=layer_idx)).train(training)
    mask = padding_mask(seq_len)
    x = hidden(len(PAD), seq_len)
    with torch.set_grad_enabled(training):
        clean = run(layer, x, mask, layer_idx, 0.0)
        dirty = run(layer, x, mask, layer_idx, value)
    tokens = mask.bool()
    assert torch.isfinite(dirty[tokens]).all()
    assert torch.equal(dirty[tokens], clean[tokens])


@pytest.mark.parametrize("name", list(LAYERS))
def test_decoding_after_a_padded_prefill_ignores_the_padding(name):
    cls, kwargs = LAYERS[name]
    layer = perturbed_layer(cls, dict(kwargs, layer_idx=0))
    mask = padding_mask(6)
    x = fill_padding(hidden(len(PAD), 6), mask, 0.0)
    step = hidden(len(PAD), 1, seed=2)
    outputs = []
    with torch.no_grad():
        for prefill in (x, fill_padding(x, mask, float("nan"))):
            cache = Cache()
            layer(prefill, attention_mask=mask, past_key_values=cache, use_cache=True)
            full_mask = torch.cat([mask, torch.ones(len(PAD), 1, dtype=torch.long)], 1)
            outputs.append(layer(step, attention_mask=full_mask, past_key_values=cache)[0])
    assert torch.isfinite(outputs[1]).all() and torch.equal(*outputs)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_short_convolution_mask_is_inert(value):
    conv = ShortConvolution(16, 4, dtype=torch.float64)
    mask = padding_mask(9)
    x = fill_padding(hidden(len(PAD), 9), mask, 0.0)
    clean = conv(x, mask=mask)[0]
    dirty = conv(fill_padding(x, mask, value), mask=mask)[0]
    assert torch.isfinite(dirty).all() and torch.equal(dirty, clean)
