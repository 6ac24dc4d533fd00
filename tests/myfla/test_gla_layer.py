"""GatedLinearAttention layer: parameters as fla's, and independent checks of every path."""

import pytest
import torch
from torch.func import functional_call

from myfla.layers import GatedLinearAttention
from myfla.models import Cache
from myfla.modules.activations import ACT2FN
from tests.golden import rel_err
from tests.myfla.layer_helpers import hidden, perturbed_layer

SMALL = dict(hidden_size=16, expand_k=0.5, expand_v=1.0, num_heads=2, layer_idx=0)


def make_layer(seed=0, dtype=torch.float64, **overrides):
    return perturbed_layer(GatedLinearAttention, {**SMALL, **overrides}, seed, dtype)


def test_parameter_names_and_shapes_follow_fla():
    layer = GatedLinearAttention(
        hidden_size=64, num_heads=4, num_kv_heads=2, use_short_conv=True, conv_bias=True
    )
    shapes = {name: tuple(p.shape) for name, p in layer.state_dict().items()}
    assert shapes == {
        "q_proj.weight": (32, 64),
        "k_proj.weight": (16, 64),
        "v_proj.weight": (32, 64),
        "g_proj.weight": (64, 64),
        "q_conv1d.weight": (32, 1, 4),
        "q_conv1d.bias": (32,),
        "k_conv1d.weight": (16, 1, 4),
        "k_conv1d.bias": (16,),
        "v_conv1d.weight": (32, 1, 4),
        "v_conv1d.bias": (32,),
        "gk_proj.0.weight": (16, 64),
        "gk_proj.1.weight": (16, 16),
        "gk_proj.1.bias": (16,),
        "o_proj.weight": (64, 64),
        "g_norm_swish_gate.weight": (16,),
    }
    unfused = GatedLinearAttention(hidden_size=64, fuse_norm=False, elementwise_affine=False)
    assert not unfused.fuse_norm_and_gate and "g_norm.weight" not in unfused.state_dict()


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        dict(use_short_conv=True, feature_map="relu"),
        dict(num_kv_heads=1, clamp_min=-0.05, gate_logit_normalizer=4),
        dict(use_output_gate=False),
        dict(fuse_norm=False, gate_fn="sigmoid"),
    ],
    ids=["default", "conv_relu", "gqa_clamp", "nogate", "unfused_sigmoid"],
)
def test_modes_agree(overrides):
    """chunk == fused_chunk (which fla 0.6.0 cannot run) == fused_recurrent, above 64 tokens."""
    x = hidden(2, 100)
    outputs = [make_layer(mode=mode, **overrides)(x)[0] for mode in ("chunk", "fused_chunk")]
    outputs.append(make_layer(mode="fused_recurrent", **overrides)(x)[0])
    assert rel_err(outputs[1], outputs[0]) < 1e-12 and rel_err(outputs[2], outputs[0]) < 1e-12


def test_cached_continuation_equals_one_pass():
    layer = make_layer(use_short_conv=True, num_kv_heads=1)
    x = hidden(2, 140)
    with torch.no_grad():
        full, _, _ = layer(x)
        cache = Cache()
        pieces = []
        for start, end in [(0, 50), (50, 51), (51, 52), (52, 132), (132, 133), (133, 140)]:
            out, _, cache = layer(x[:, start:end], past_key_values=cache, use_cache=True)
            pieces.append(out)
    assert cache.get_seq_length(0) == 140
    assert rel_err(torch.cat(pieces, dim=1), full) < 1e-12
    assert cache[0]["recurrent_state"].shape == (2, 2, 8, 4)  # value-first: [N, H, V, K]
    assert [tuple(c.shape) for c in cache[0]["conv_state"]] == [(2, 8, 4), (2, 4, 4), (2, 8, 4)]


def test_packed_varlen_equals_one_sequence_at_a_time():
    layer = make_layer(use_short_conv=True)
    cu = [0, 7, 80, 81, 170]
    x = hidden(1, 170)
    packed, _, _ = layer(x, cu_seqlens=torch.tensor(cu))
    for start, end in zip(cu[:-1], cu[1:]):
        alone, _, _ = layer(x[:, start:end])
        assert rel_err(packed[:, start:end], alone) < 1e-12


def test_left_padded_rows_equal_unpadded_rows():
    layer = make_layer()
    lens = [90, 33, 1]
    x = hidden(3, 90)
    mask = torch.zeros(3, 90, dtype=torch.long)
    for row, n in enumerate(lens):
        mask[row, 90 - n :] = 1
    padded, _, _ = layer(x, attention_mask=mask)
    for row, n in enumerate(lens):
        alone, _, _ = layer(x[row : row + 1, 90 - n :])
        assert rel_err(padded[row : row + 1, 90 - n :], alone) < 1e-12
        assert torch.all(padded[row, : 90 - n] == 0)


@pytest.mark.parametrize("name", sorted(set(ACT2FN) - {"bias_gelu"}))
def test_every_feature_map_and_gate_runs(name):
    x = hidden(1, 70)
    o = make_layer(feature_map=name)(x)[0]
    o_gate = make_layer(fuse_norm=False, gate_fn=name)(x)[0]
    assert torch.isfinite(o).all() and torch.isfinite(o_gate).all()


def test_gradcheck_layer_inputs_and_parameters():
    layer = make_layer(
        hidden_size=8, num_heads=2, num_kv_heads=1, use_short_conv=True, conv_size=3
    ).train()
    params = {name: p.detach().clone().requires_grad_() for name, p in layer.named_parameters()}
    x = hidden(1, 66, size=8).requires_grad_()  # above 64 tokens: the chunk op
    names = list(params)

    def fn(x, *values):
        return functional_call(layer, dict(zip(names, values)), (x,))[0]

    assert torch.autograd.gradcheck(fn, (x, *params.values()), fast_mode=True)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision(dtype):
    x = hidden(2, 100)
    o64 = make_layer()(x)[0]
    o = make_layer().to(dtype)(x.to(dtype))[0]
    assert o.dtype == dtype and rel_err(o, o64) < (3e-2 if dtype == torch.bfloat16 else 5e-3)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(mode="parallel"), "mode must be one of"),
        (dict(feature_map="softmax"), "feature_map must be one of"),
        (dict(gate_fn="tanh"), "gate_fn must be one of"),
        (dict(num_kv_heads=3), "must be a multiple of num_kv_heads"),
        (dict(expand_k=0.33), "hidden_size \\* expand_k must be a whole number"),
        (dict(num_heads=3), "key dim 8 must be divisible by num_heads=3"),
    ],
)
def test_bad_constructor_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GatedLinearAttention(**{**SMALL, **kwargs})


def test_bad_forward_arguments():
    layer = make_layer()
    with pytest.raises(ValueError, match="hidden_states must have last dimension"):
        layer(hidden(1, 5, size=8))
    with pytest.raises(ValueError, match="attention_mask must be a \\[B, T\\]"):
        layer(hidden(1, 5), attention_mask=torch.ones(1, 5, 5))
    with pytest.raises(ValueError, match="needs layer_idx"):
        make_layer(layer_idx=None)(hidden(1, 5), past_key_values=Cache(), use_cache=True)
