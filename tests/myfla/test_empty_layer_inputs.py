"""The layers and ShortConvolution on inputs with no sequence (B = 0) or no time step (T = 0)."""

import pytest
import torch

from myfla.layers import GatedDeltaNet, GatedLinearAttention, RWKV7Attention
from myfla.models import Cache
from myfla.modules import ShortConvolution

HIDDEN = 16
LAYERS = {
    "GatedDeltaNet": lambda: GatedDeltaNet(
        hidden_size=HIDDEN, num_heads=2, head_dim=8, layer_idx=0
    ),
    "GatedLinearAttention": lambda: GatedLinearAttention(
        hidden_size=HIDDEN, num_heads=2, use_short_conv=True, layer_idx=0
    ),
    "RWKV7Attention": lambda: RWKV7Attention(
        hidden_size=HIDDEN, head_dim=8, layer_idx=0, num_hidden_layers=1
    ),
}


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("shape", [(0, 5), (2, 0)])
@pytest.mark.parametrize("training", [True, False])
def test_layers_return_empty_outputs(name, shape, training):
    layer = LAYERS[name]().train(training)
    x = torch.randn(*shape, HIDDEN, requires_grad=True)
    with torch.set_grad_enabled(training):
        o = layer(x, past_key_values=Cache(), use_cache=True)[0]
    assert o.shape == x.shape
    if training:
        o.sum().backward()
        assert x.grad.shape == x.shape


@pytest.mark.parametrize("name", list(LAYERS))
def test_no_time_step_keeps_the_cache(name):
    layer, cache = LAYERS[name]().eval(), Cache()
    with torch.no_grad():
        layer(torch.randn(2, 3, HIDDEN), past_key_values=cache, use_cache=True)
        before = cache[0]["recurrent_state"].clone()
        layer(torch.randn(2, 0, HIDDEN), past_key_values=cache, use_cache=True)
    assert torch.equal(cache[0]["recurrent_state"], before)


@pytest.mark.parametrize("shape", [(0, 5), (2, 0)])
def test_short_convolution_returns_empty_outputs_and_the_state(shape):
    conv = ShortConvolution(HIDDEN, 4)
    cache = torch.randn(shape[0], HIDDEN, 4)
    y, state = conv(torch.randn(*shape, HIDDEN), cache=cache, output_final_state=True)
    assert y.shape == (*shape, HIDDEN)
    assert torch.equal(state, cache)


def test_short_convolution_packed_empty_sequences_keep_their_states():
    conv = ShortConvolution(HIDDEN, 4)
    cache = torch.randn(2, HIDDEN, 4)
    y, state = conv(
        torch.randn(1, 0, HIDDEN), cache=cache, output_final_state=True,
        cu_seqlens=torch.tensor([0, 0, 0]),
    )  # fmt: skip
    assert y.shape == (1, 0, HIDDEN)
    assert torch.equal(state, cache)
