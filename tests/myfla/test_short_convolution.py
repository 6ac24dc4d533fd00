"""ShortConvolution and causal_conv1d: reference, decoding, packed sequences, errors."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from myfla.modules import ShortConvolution
from myfla.modules.convolution import (
    causal_conv1d,
    causal_conv1d_update,
    causal_conv1d_update_states,
)
from tests.golden import TOLERANCES, fixture_paths, load, rel_err

F64 = torch.float64


def reference(x, weight, bias=None, activation=None, state=None, residual=None):
    """Float64 loop over taps, ``y[t] = sum_w weight[:, w] * in[t - W + 1 + w]``, and final state.

    Inputs before the sequence come from ``state [B, D, W]`` (index ``W + s`` for offset ``s < 0``).
    """
    x, weight = x.double(), weight.double()
    batch, seq_len, dim = x.shape
    width = weight.shape[1]
    history = torch.zeros(batch, dim, width, dtype=F64) if state is None else state.double()
    y = torch.zeros(batch, seq_len, dim, dtype=F64)
    for t in range(seq_len):
        for w in range(width):
            src = t - width + 1 + w
            y[:, t] += weight[:, w] * (x[:, src] if src >= 0 else history[:, :, width + src])
    if bias is not None:
        y = y + bias.double()
    if activation is not None:
        y = y * torch.sigmoid(y)
    if residual is not None:
        y = y + residual.double()
    final = torch.cat([history.transpose(1, 2), x], 1)[:, -width:].transpose(1, 2)
    return y, final


def make_conv(dim, width, bias=False, activation="silu", dtype=F64, seed=0):
    torch.manual_seed(seed)
    conv = ShortConvolution(dim, width, bias=bias, activation=activation, dtype=dtype)
    with torch.no_grad():
        conv.weight.normal_()
        if bias:
            conv.bias.normal_()
    return conv


def weight_of(conv):
    return conv.weight.detach().squeeze(1)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("activation", [None, "silu", "swish"])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("seq_len", [2, 9])
def test_conv_matches_float64_loop(bias, activation, with_state, seq_len):
    conv = make_conv(5, 4, bias=bias, activation=activation)
    x = torch.randn(3, seq_len, 5, dtype=F64)
    state = torch.randn(3, 5, 4, dtype=F64) if with_state else None
    residual = torch.randn(3, seq_len, 5, dtype=F64)
    y, final = conv(x, residual=residual, cache=state, output_final_state=True)
    ref_y, ref_final = reference(x, weight_of(conv), conv.bias, activation, state, residual)
    torch.testing.assert_close(y, ref_y, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(final, ref_final, rtol=0, atol=0)


@settings(max_examples=30, deadline=None)
@given(
    batch=st.integers(1, 3),
    seq_len=st.integers(1, 12),
    dim=st.integers(1, 6),
    width=st.integers(1, 5),
    bias=st.booleans(),
    with_state=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_conv_property_matches_loop(batch, seq_len, dim, width, bias, with_state, seed):
    conv = make_conv(dim, width, bias=bias, seed=seed)
    x = torch.randn(batch, seq_len, dim, dtype=F64)
    state = torch.randn(batch, dim, width, dtype=F64) if with_state else None
    y, final = conv(x, cache=state, output_final_state=True)
    ref_y, ref_final = reference(x, weight_of(conv), conv.bias, "silu", state)
    torch.testing.assert_close(y, ref_y, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(final, ref_final, rtol=0, atol=0)


@pytest.mark.parametrize("seq_len", [1, 3, 4, 10])
def test_final_state_is_last_inputs_zero_padded(seq_len):
    conv = make_conv(3, 4)
    x = torch.randn(2, seq_len, 3, dtype=F64)
    _, final = conv(x, output_final_state=True)
    expected = F.pad(x.transpose(1, 2), (max(0, 4 - seq_len), 0))[..., -4:]
    assert final.shape == (2, 3, 4)
    assert torch.equal(final, expected)


def test_no_final_state_unless_asked():
    conv = make_conv(3, 4)
    _, final = conv(torch.randn(2, 5, 3, dtype=F64), cache=torch.randn(2, 3, 4, dtype=F64))
    assert final is None


@pytest.mark.parametrize("bias", [False, True])
def test_decoding_step_by_step_equals_one_pass(bias):
    conv = make_conv(6, 4, bias=bias)
    x = torch.randn(2, 11, 6, dtype=F64)
    residual = torch.randn(2, 11, 6, dtype=F64)
    with torch.no_grad():
        full, full_state = conv(x, residual=residual, output_final_state=True)
        y0, cache = conv(x[:, :5], residual=residual[:, :5], output_final_state=True)
        outs = [y0]
        for t in range(5, 8):
            y, returned = conv(
                x[:, t : t + 1],
                residual=residual[:, t : t + 1],
                cache=cache,
                output_final_state=True,
            )
            assert returned is cache, "a decoding step updates the cache in place"
            outs.append(y)
        y, cache = conv(x[:, 8:], residual=residual[:, 8:], cache=cache, output_final_state=True)
        outs.append(y)
    torch.testing.assert_close(torch.cat(outs, 1), full, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(cache, full_state, rtol=0, atol=0)


def test_step_updates_cache_in_place_even_without_final_state():
    conv = make_conv(3, 4)
    cache = torch.randn(2, 3, 4, dtype=F64)
    before = cache.clone()
    token = torch.randn(2, 1, 3, dtype=F64)
    with torch.no_grad():
        y, returned = conv(token, cache=cache)
    assert returned is None
    assert torch.equal(cache[..., :3], before[..., 1:])
    assert torch.equal(cache[..., 3], token[:, 0])
    ref_y, _ = reference(token, weight_of(conv), None, "silu", before)
    torch.testing.assert_close(y, ref_y, rtol=1e-12, atol=1e-12)


def test_grad_enabled_single_token_leaves_cache_untouched():
    conv = make_conv(3, 4)
    cache = torch.randn(2, 3, 4, dtype=F64)
    before = cache.clone()
    y, final = conv(torch.randn(2, 1, 3, dtype=F64), cache=cache, output_final_state=True)
    assert torch.equal(cache, before)
    assert final is not cache and y.requires_grad


def packed(lengths, dim, width, with_state, seed=0):
    torch.manual_seed(seed)
    cu_seqlens = torch.tensor([0] + torch.tensor(lengths).cumsum(0).tolist(), dtype=torch.int32)
    x = torch.randn(1, sum(lengths), dim, dtype=F64)
    state = torch.randn(len(lengths), dim, width, dtype=F64) if with_state else None
    return x, cu_seqlens, state


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("lengths", [[3, 1, 6, 2], [7], [1, 1, 1], [5, 0, 2]])
def test_packed_equals_each_sequence_alone(lengths, with_state):
    conv = make_conv(4, 4, bias=True)
    x, cu_seqlens, state = packed(lengths, 4, 4, with_state)
    residual = torch.randn_like(x)
    y, final = conv(
        x, residual=residual, cache=state, output_final_state=True, cu_seqlens=cu_seqlens
    )
    assert y.shape == x.shape and final.shape == (len(lengths), 4, 4)
    for n, (bos, eos) in enumerate(zip(cu_seqlens[:-1].tolist(), cu_seqlens[1:].tolist())):
        own = None if state is None else state[n : n + 1]
        ref_y, ref_final = reference(
            x[:, bos:eos], weight_of(conv), conv.bias, "silu", own, residual[:, bos:eos]
        )
        torch.testing.assert_close(y[:, bos:eos], ref_y, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(final[n : n + 1], ref_final, rtol=0, atol=0)


def test_packed_gradients_equal_per_sequence_gradients():
    x, cu_seqlens, state = packed([3, 5, 1], 3, 4, with_state=True)
    weight = torch.randn(3, 4, dtype=F64)
    leaves = [t.clone().requires_grad_() for t in (x, weight, state)]
    y, final = causal_conv1d(
        leaves[0],
        leaves[1],
        initial_state=leaves[2],
        activation="silu",
        output_final_state=True,
        cu_seqlens=cu_seqlens,
    )
    (y.square().sum() + final.sin().sum()).backward()
    packed_grads = [t.grad for t in leaves]

    leaves = [t.clone().requires_grad_() for t in (x, weight, state)]
    total = 0
    for n, (bos, eos) in enumerate(zip(cu_seqlens[:-1].tolist(), cu_seqlens[1:].tolist())):
        y, final = causal_conv1d(
            leaves[0][:, bos:eos],
            leaves[1],
            initial_state=leaves[2][n : n + 1],
            activation="silu",
            output_final_state=True,
        )
        total = total + y.square().sum() + final.sin().sum()
    total.backward()
    for got, want in zip(packed_grads, [t.grad for t in leaves]):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_packed_single_tokens_take_the_decoding_step():
    conv = make_conv(4, 3)
    x, cu_seqlens, state = packed([1, 1, 1], 4, 3, with_state=True)
    expected, expected_state = conv(
        x, cache=state.clone(), output_final_state=True, cu_seqlens=cu_seqlens
    )
    with torch.no_grad():
        y, returned = conv(x, cache=state, output_final_state=True, cu_seqlens=cu_seqlens)
    assert returned is state
    torch.testing.assert_close(y, expected.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(state, expected_state.detach(), rtol=0, atol=0)


def test_mask_zeroes_padded_inputs_without_touching_x():
    conv = make_conv(3, 4)
    x = torch.randn(2, 6, 3, dtype=F64)
    x_before = x.clone()
    mask = torch.tensor([[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]], dtype=torch.bool)
    y, final = conv(x, mask=mask, output_final_state=True)
    ref_y, ref_final = reference(x * mask[..., None], weight_of(conv), None, "silu")
    torch.testing.assert_close(y, ref_y, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(final, ref_final, rtol=0, atol=0)
    assert torch.equal(x, x_before)


def test_channels_split_over_trailing_dims():
    conv = make_conv(6, 3)
    x = torch.randn(2, 5, 2, 3, dtype=F64)
    y, final = conv(x, output_final_state=True)
    ref_y, ref_final = reference(x.reshape(2, 5, 6), weight_of(conv), None, "silu")
    assert y.shape == x.shape
    torch.testing.assert_close(y.reshape(2, 5, 6), ref_y, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(final, ref_final, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_half_precision_computes_in_float32(dtype):
    conv = make_conv(8, 4, bias=True, dtype=torch.float32)
    x = torch.randn(2, 10, 8).to(dtype)
    y, final = conv(x, output_final_state=True)
    ref_y, _ = reference(x, weight_of(conv), conv.bias, "silu")
    assert y.dtype == dtype and final.dtype == dtype
    assert torch.equal(final, x[:, -4:].transpose(1, 2))
    # float32 accumulation: only the final rounding to ``dtype`` remains.
    bound = {torch.float32: 1e-6, torch.bfloat16: 4e-3, torch.float16: 5e-4}[dtype]
    assert rel_err(y, ref_y) < bound


@pytest.mark.parametrize("seq_len", [0, 1, 3, 5])
@pytest.mark.parametrize("width", [1, 2, 4])
@pytest.mark.parametrize("with_state", [False, True])
def test_gradcheck_shorter_and_longer_than_the_kernel(seq_len, width, with_state):
    x = torch.randn(2, seq_len, 3, dtype=F64, requires_grad=True)
    weight = torch.randn(3, width, dtype=F64, requires_grad=True)
    state = torch.randn(2, 3, width, dtype=F64, requires_grad=True) if with_state else None
    args = (x, weight) if state is None else (x, weight, state)

    def fn(x, weight, state=None):
        return causal_conv1d(x, weight, initial_state=state, output_final_state=True)

    y, final = fn(*args)
    ref_y, ref_final = reference(x, weight, state=state)
    assert torch.allclose(y, ref_y) and torch.allclose(final, ref_final)
    assert torch.autograd.gradcheck(fn, args)


def test_gradcheck_fixed_length():
    x = torch.randn(2, 5, 3, dtype=F64, requires_grad=True)
    weight = torch.randn(3, 4, dtype=F64, requires_grad=True)
    bias = torch.randn(3, dtype=F64, requires_grad=True)
    residual = torch.randn(2, 5, 3, dtype=F64, requires_grad=True)
    state = torch.randn(2, 3, 4, dtype=F64, requires_grad=True)

    def fn(*args):
        return causal_conv1d(
            args[0], args[1], args[2], args[3], args[4], output_final_state=True, activation="silu"
        )

    assert torch.autograd.gradcheck(fn, (x, weight, bias, residual, state))


def test_gradcheck_packed():
    x, cu_seqlens, state = packed([2, 4, 1], 3, 3, with_state=True)
    weight = torch.randn(3, 3, dtype=F64)
    args = [t.requires_grad_() for t in (x, weight, state)]

    def fn(x, weight, state):
        return causal_conv1d(
            x,
            weight,
            initial_state=state,
            output_final_state=True,
            activation="swish",
            cu_seqlens=cu_seqlens,
        )

    assert torch.autograd.gradcheck(fn, args)


def test_update_and_update_states_functions():
    weight = torch.randn(4, 3, dtype=F64)
    x = torch.randn(2, 7, 4, dtype=F64)
    _, final = causal_conv1d(x, weight, output_final_state=True)
    torch.testing.assert_close(causal_conv1d_update_states(x, 3), final, rtol=0, atol=0)
    x_packed, cu_seqlens, state = packed([2, 5], 4, 3, with_state=True)
    _, final = causal_conv1d(
        x_packed, weight, initial_state=state, output_final_state=True, cu_seqlens=cu_seqlens
    )
    got = causal_conv1d_update_states(x_packed[0], 3, initial_state=state, cu_seqlens=cu_seqlens)
    torch.testing.assert_close(got, final, rtol=0, atol=0)

    cache = torch.randn(2, 4, 3, dtype=F64)
    token = torch.randn(2, 4, dtype=F64)
    ref_y, ref_state = reference(token[:, None], weight, None, None, cache)
    y, returned = causal_conv1d_update(token, cache, weight=weight)
    assert returned is cache and y.shape == (2, 4)
    torch.testing.assert_close(y, ref_y[:, 0], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(cache, ref_state, rtol=0, atol=0)


def test_module_layout_and_repr():
    conv = ShortConvolution(8, 4, bias=True)
    assert {k: tuple(v.shape) for k, v in conv.state_dict().items()} == {
        "weight": (8, 1, 4),
        "bias": (8,),
    }
    assert conv.state_size == 32
    assert repr(conv) == (
        "ShortConvolution(8, 8, kernel_size=(4,), stride=(1,), padding=(3,), "
        "groups=8, activation=silu, backend=triton)"
    )
    assert "bias=False" in repr(ShortConvolution(8, 4, activation=None, backend="cuda"))


def test_constructor_errors():
    with pytest.raises(ValueError, match="activation"):
        ShortConvolution(4, 3, activation="relu")
    with pytest.raises(ValueError, match="backend"):
        ShortConvolution(4, 3, backend="tpu")
    with pytest.raises(TypeError, match="kernal"):
        ShortConvolution(4, 3, kernal_size=3)
    with pytest.warns(UserWarning, match="use_fast_conv1d"):
        ShortConvolution(4, 3, use_fast_conv1d=True)


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        ({"x": torch.randn(2, 4)}, ValueError, "x"),
        ({"x": torch.randn(2, 5, 3)}, ValueError, "x"),
        ({"x": [[1.0]]}, TypeError, "x"),
        ({"residual": torch.randn(2, 5, 4)}, ValueError, "residual"),
        ({"cache": torch.randn(2, 4, 3)}, ValueError, "cache"),
        ({"cache": torch.randn(3, 4, 4)}, ValueError, "cache"),
        ({"mask": torch.ones(2, 5)}, ValueError, "mask"),
        ({"cu_seqlens": torch.tensor([0, 3, 6])}, ValueError, "batch size"),
        (
            {"x": torch.randn(1, 6, 4), "cu_seqlens": torch.tensor([0, 4, 2, 6])},
            ValueError,
            "non-decreasing",
        ),
        (
            {"x": torch.randn(1, 6, 4), "cu_seqlens": torch.tensor([0, 3, 5])},
            ValueError,
            "end at the sequence length T",
        ),
        (
            {"x": torch.randn(1, 6, 4), "cu_seqlens": torch.tensor([1, 3, 6])},
            ValueError,
            "start at 0",
        ),
        (
            {"x": torch.randn(1, 6, 4), "cu_seqlens": torch.tensor([0.0, 6.0])},
            TypeError,
            "cu_seqlens",
        ),
        (
            {"x": torch.randn(1, 6, 4), "cu_seqlens": torch.tensor([[0, 6]])},
            ValueError,
            "cu_seqlens",
        ),
        (
            {
                "x": torch.randn(1, 6, 4),
                "cu_seqlens": torch.tensor([0, 6]),
                "mask": torch.ones(1, 6),
            },
            ValueError,
            "mask",
        ),
        ({"chunk_size": 64}, TypeError, "chunk_size"),
        ({"cp_context": object()}, NotImplementedError, "cp_context"),
    ],
)
def test_forward_errors_name_the_argument(kwargs, error, name):
    conv = ShortConvolution(4, 4)
    kwargs = {"x": torch.randn(2, 6, 4), **kwargs}
    with pytest.raises(error, match=name):
        conv(**kwargs)


def test_functional_errors():
    x, weight = torch.randn(2, 5, 4), torch.randn(4, 3)
    with pytest.raises(TypeError, match="weight"):
        causal_conv1d(x)
    with pytest.raises(ValueError, match="bias"):
        causal_conv1d(x, weight, bias=torch.randn(3))
    with pytest.raises(ValueError, match="initial_state"):
        causal_conv1d(x, weight, initial_state=torch.randn(2, 4, 4))
    with pytest.raises(ValueError, match="backend"):
        causal_conv1d(x, weight, backend="tilelang")
    with pytest.raises(ValueError, match="one token per sequence"):
        causal_conv1d_update(torch.randn(2, 3, 4), torch.randn(2, 4, 3), weight=weight)
    with pytest.raises(ValueError, match="cache"):
        causal_conv1d_update(torch.randn(2, 1, 4), torch.randn(3, 4, 3), weight=weight)
    with pytest.raises(ValueError, match="state_len"):
        causal_conv1d_update_states(x, 0)
    with pytest.raises(NotImplementedError, match="cp_context"):
        causal_conv1d(x, weight, cp_context=object())
    with pytest.raises(NotImplementedError, match="seq_idx"):
        causal_conv1d(x, weight, seq_idx=torch.zeros(2, 5))


def test_kernel_hints_are_accepted_and_package_path_works():
    from myfla.modules.causal_conv1d import ShortConvolution as PackageShortConvolution
    from myfla.modules.causal_conv1d import causal_conv1d as package_causal_conv1d

    assert PackageShortConvolution is ShortConvolution and package_causal_conv1d is causal_conv1d
    x, cu_seqlens, _ = packed([2, 3], 4, 3, with_state=False)
    weight = torch.randn(4, 3, dtype=F64)
    expected, _ = causal_conv1d(x, weight, cu_seqlens=cu_seqlens)
    y, _ = causal_conv1d(
        x,
        weight,
        None,
        None,
        None,
        False,
        None,
        "mix",
        cu_seqlens,
        cu_seqlens.cpu(),
        torch.zeros(2, 2, dtype=torch.long),
    )
    assert torch.equal(y, expected)


CONV_CASES = list(fixture_paths("gdn_eval_cache", "gla_eval_cache"))


@pytest.mark.skipif(not CONV_CASES, reason="golden fixtures not found")
@pytest.mark.parametrize("path", CONV_CASES, ids=lambda p: p.stem)
def test_conv_states_match_fla_layer_caches(path):
    """The q/k/v conv caches fla's layers stored equal our states on the same projections."""
    case = load(path)
    state_dict = case["state_dict"]
    convs, states = [], [None, None, None]
    for name in "qkv":
        weight = state_dict[f"{name}_conv1d.weight"]
        conv = ShortConvolution(weight.shape[0], weight.shape[-1]).double()
        conv.load_state_dict({"weight": weight})
        convs.append((state_dict[f"{name}_proj.weight"].double(), conv))
    bound = TOLERANCES["layer_vs_triton"][F64]
    with torch.no_grad():
        for step in case["steps"]:
            hidden = step["inputs"]["hidden_states"].double()
            for j, (proj, conv) in enumerate(convs):
                _, states[j] = conv(hidden @ proj.T, cache=states[j], output_final_state=True)
                expected = step["cache"]["conv_state"][j]
                assert states[j].shape == expected.shape
                assert rel_err(states[j], expected) < bound
