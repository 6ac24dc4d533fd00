"""The layers' argument errors name the argument; unknown keywords warn once (fla ignores them)."""

import warnings

import pytest
import torch

from myfla.layers import GatedDeltaNet, GatedLinearAttention, RWKV7Attention
from myfla.models import Cache

SMALL = {
    GatedDeltaNet: dict(hidden_size=16, num_heads=2, head_dim=8),
    GatedLinearAttention: dict(hidden_size=16, num_heads=2),
    RWKV7Attention: dict(hidden_size=16, head_dim=8, num_hidden_layers=1),
}
LAYERS = list(SMALL)


@pytest.mark.parametrize(
    "cls,kwargs,name",
    [
        (GatedDeltaNet, dict(head_dim=0), "head_dim"),
        (GatedDeltaNet, dict(num_heads=-1), "num_heads"),
        (GatedDeltaNet, dict(num_v_heads=0), "num_v_heads"),
        (GatedDeltaNet, dict(hidden_size=0), "hidden_size"),
        (GatedDeltaNet, dict(expand_v=-1.0), "expand_v"),
        (GatedDeltaNet, dict(conv_size=0), "conv_size"),
        (GatedDeltaNet, dict(layer_idx=-1), "layer_idx"),
        (GatedLinearAttention, dict(num_heads=-1), "num_heads"),
        (GatedLinearAttention, dict(num_kv_heads=0), "num_kv_heads"),
        (GatedLinearAttention, dict(expand_k=0), "expand_k"),
        (GatedLinearAttention, dict(gate_low_rank_dim=0), "gate_low_rank_dim"),
        (RWKV7Attention, dict(head_dim=0), "head_dim"),
        (RWKV7Attention, dict(head_dim=None, num_heads=-1), "num_heads"),
        (RWKV7Attention, dict(value_dim=0), "value_dim"),
        (RWKV7Attention, dict(decay_low_rank_dim=0), "decay_low_rank_dim"),
        (RWKV7Attention, dict(hidden_size=-16), "hidden_size"),
    ],
)
def test_bad_sizes_raise_errors_naming_the_argument(cls, kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        cls(**{**SMALL[cls], **kwargs})


@pytest.mark.parametrize("cls", [GatedDeltaNet, RWKV7Attention])
def test_unknown_constructor_keywords_warn_once_by_name(cls):
    misspelt = f"num_head_{cls.__name__}"  # a name no other test has warned about
    with pytest.warns(UserWarning, match=misspelt):
        cls(**SMALL[cls], **{misspelt: 2})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cls(**SMALL[cls], **{misspelt: 2})


@pytest.mark.parametrize("cls", LAYERS)
def test_unknown_forward_keywords_warn_once_and_known_ones_do_not(cls):
    layer = cls(**SMALL[cls], layer_idx=0)
    x = torch.randn(1, 3, 16)
    misspelt = f"cu_seqlen_{cls.__name__}"
    with pytest.warns(UserWarning, match=misspelt):
        layer(x, **{misspelt: None})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer(x, **{misspelt: None})
        layer(x, position_ids=None, cu_seqlens=None)


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("cache", [{}, [], "cache"])
def test_a_cache_that_is_no_cache_is_refused(cls, cache):
    layer = cls(**SMALL[cls], layer_idx=0)
    with pytest.raises(TypeError, match="past_key_values"):
        layer(torch.randn(1, 3, 16), past_key_values=cache, use_cache=True)
    assert cache in ({}, [], "cache")  # nothing written into it


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize(
    "mask",
    [
        torch.ones(3, 5),  # batch 3 for hidden_states of batch 2
        torch.ones(2, 4),  # shorter than the input
        torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]),  # right padding
        torch.tensor([[1, 0, 1, 1, 1], [1, 1, 1, 1, 1]]),  # a hole
        torch.tensor([[0, 0, 2, 2, 2], [1, 1, 1, 1, 1]]),  # not 0/1
        torch.full((2, 5), 0.5),
    ],
)
def test_masks_other_than_left_padding_are_refused(cls, mask):
    layer = cls(**SMALL[cls], layer_idx=0)
    with pytest.raises(ValueError, match="attention_mask"):
        layer(torch.randn(2, 5, 16), attention_mask=mask, past_key_values=Cache(), use_cache=True)


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("dtype", [torch.long, torch.bool, torch.float32])
def test_left_padding_masks_of_any_dtype_are_taken(cls, dtype):
    layer = cls(**SMALL[cls], layer_idx=0).eval()
    mask = torch.tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]]).to(dtype)
    o = layer(torch.randn(3, 5, 16), attention_mask=mask)[0]
    assert o.shape == (3, 5, 16) and torch.isfinite(o).all()
