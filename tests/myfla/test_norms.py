"""RMSNorm, LayerNorm, GroupNorm, FusedRMSNormGated and l2_norm against their plain formulas."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from myfla.modules import (
    FusedLayerNormGated,
    FusedRMSNormGated,
    FusedRMSNormSwishGate,
    GroupNorm,
    L2Norm,
    LayerNorm,
    RMSNorm,
)
from myfla.modules.fused_norm_gate import layer_norm_gated, rms_norm_gated
from myfla.modules.l2norm import l2_norm, l2norm
from myfla.modules.layernorm import group_norm, layer_norm, rms_norm

F64 = torch.float64
CLOSE = {"rtol": 1e-12, "atol": 1e-12}


def rms_formula(x, weight=None, bias=None, eps=1e-5):
    x = x.double()
    y = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    y = y if weight is None else y * weight.double()
    return y if bias is None else y + bias.double()


def gate_formula(y, g, activation):
    g = g.double()
    return y * torch.sigmoid(g) if activation == "sigmoid" else y * g * torch.sigmoid(g)


def assert_rounded_from(y, exact):
    """``y`` is ``exact`` up to the final rounding to ``y.dtype``."""
    eps = torch.finfo(y.dtype).eps
    torch.testing.assert_close(y.double(), exact, rtol=eps, atol=eps)


def randomize(module, seed=0):
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.normal_()
    return module


def test_rms_norm_matches_formula():
    norm = randomize(RMSNorm(8, bias=True, eps=1e-3).double())
    x = torch.randn(2, 3, 8, dtype=F64)
    torch.testing.assert_close(norm(x), rms_formula(x, norm.weight, norm.bias, 1e-3), **CLOSE)


def test_layer_norm_matches_torch():
    norm = randomize(LayerNorm(8, bias=True).double())
    x = torch.randn(4, 8, dtype=F64) * 3 + 1
    expected = F.layer_norm(x, (8,), norm.weight, norm.bias, 1e-5)
    torch.testing.assert_close(norm(x), expected, **CLOSE)


@pytest.mark.parametrize("is_rms_norm", [False, True])
def test_group_norm_normalizes_contiguous_groups(is_rms_norm):
    norm = randomize(GroupNorm(4, 12, bias=True, eps=1e-4, is_rms_norm=is_rms_norm).double())
    x = torch.randn(2, 5, 12, dtype=F64) * 2 + 0.5
    y = norm(x)
    if is_rms_norm:
        groups = rms_formula(x.reshape(2, 5, 4, 3), eps=1e-4).reshape(2, 5, 12)
        expected = groups * norm.weight + norm.bias
    else:
        expected = F.group_norm(x.reshape(-1, 12), 4, norm.weight, norm.bias, 1e-4).reshape(x.shape)
    torch.testing.assert_close(y, expected, **CLOSE)


def test_no_affine_has_no_parameters():
    norm = RMSNorm(6, elementwise_affine=False, bias=True)
    assert norm.weight is None and norm.bias is None and not list(norm.parameters())
    x = torch.randn(3, 6, dtype=F64)
    torch.testing.assert_close(norm(x), rms_formula(x), **CLOSE)


def test_parameter_layout_and_init():
    assert set(RMSNorm(8).state_dict()) == {"weight"}
    assert set(RMSNorm(8, bias=True).state_dict()) == {"weight", "bias"}
    assert set(FusedRMSNormGated(8).state_dict()) == {"weight"}
    assert set(FusedLayerNormGated(8, bias=True).state_dict()) == {"weight", "bias"}
    norm = GroupNorm(2, 8, bias=True)
    assert torch.equal(norm.weight, torch.ones(8)) and torch.equal(norm.bias, torch.zeros(8))
    assert RMSNorm(8, dtype=torch.float32).weight.dtype == torch.float32
    assert repr(RMSNorm(8)) == "RMSNorm(8, eps=1e-05)"
    assert repr(GroupNorm(2, 8, elementwise_affine=False, is_rms_norm=True)) == (
        "GroupNorm(2, 8, elementwise_affine=False, is_rms_norm=True, eps=1e-05)"
    )
    assert repr(FusedRMSNormGated(8, eps=1e-6, activation="sigmoid")) == (
        "FusedRMSNormGated(8, eps=1e-06, activation=sigmoid)"
    )


@pytest.mark.parametrize("fn", [rms_norm, layer_norm])
def test_residual_and_prenorm(fn):
    x = torch.randn(3, 8, dtype=F64)
    residual = torch.randn(3, 8, dtype=F64)
    weight = torch.randn(8, dtype=F64)
    y, residual_out = fn(x, weight, None, residual=residual, prenorm=True)
    torch.testing.assert_close(y, fn(x + residual, weight, None), **CLOSE)
    torch.testing.assert_close(residual_out, x + residual, **CLOSE)
    # Without residual, prenorm hands back x itself.
    _, same = fn(x, weight, None, prenorm=True)
    assert same is x


def test_residual_keeps_its_dtype_and_sum_is_float32():
    x = torch.randn(4, 16).to(torch.bfloat16)
    residual = torch.randn(4, 16)
    norm = RMSNorm(16)
    y, residual_out = norm(x, residual=residual, prenorm=True)
    assert y.dtype == torch.bfloat16 and residual_out.dtype == torch.float32
    exact = x.double() + residual.double()
    torch.testing.assert_close(residual_out.double(), exact, rtol=1e-6, atol=1e-6)
    # normalised from the float32 sum, not from a bfloat16-rounded one
    assert_rounded_from(y, rms_formula(exact))


def test_residual_in_fp32_without_residual():
    x = torch.randn(4, 16).to(torch.bfloat16)
    _, residual_out = RMSNorm(16)(x, prenorm=True, residual_in_fp32=True)
    assert residual_out.dtype == torch.float32
    assert torch.equal(residual_out, x.float())
    _, residual_out = RMSNorm(16)(x, prenorm=True)
    assert residual_out is x


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float32])
def test_half_precision_computes_in_float32(dtype):
    x = (torch.randn(5, 64) * 10).to(dtype)
    weight = torch.randn(64)
    y = rms_norm(x, weight, None)
    assert y.dtype == dtype
    assert_rounded_from(y, rms_formula(x, weight))


def test_float64_input_computes_in_float64():
    x = torch.randn(3, 8, dtype=F64) * 1e3
    y = RMSNorm(8)(x)
    assert y.dtype == F64
    torch.testing.assert_close(y, rms_formula(x), rtol=1e-14, atol=1e-14)


@settings(max_examples=30, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    dim=st.integers(1, 9),
    eps=st.sampled_from([1e-6, 1e-5, 0.1, 2.0]),
    scale=st.sampled_from([1e-3, 1.0, 1e3]),
    seed=st.integers(0, 2**16),
)
def test_rms_norm_property(shape, dim, eps, scale, seed):
    torch.manual_seed(seed)
    x = torch.randn(*shape, dim, dtype=F64) * scale
    weight = torch.randn(dim, dtype=F64)
    expected = rms_formula(x, weight, None, eps)
    torch.testing.assert_close(rms_norm(x, weight, None, eps=eps), expected, **CLOSE)


@pytest.mark.parametrize("activation", ["swish", "silu", "sigmoid"])
def test_fused_rms_norm_gated_each_activation(activation):
    norm = randomize(FusedRMSNormGated(8, eps=1e-5, activation=activation).double())
    x, g = torch.randn(2, 3, 4, 8, dtype=F64), torch.randn(2, 3, 4, 8, dtype=F64)
    expected = gate_formula(rms_formula(x, norm.weight), g, activation)
    torch.testing.assert_close(norm(x, g), expected, **CLOSE)


def test_fused_rms_norm_gated_residual_prenorm():
    norm = randomize(FusedRMSNormGated(8).double())
    x, g, residual = (torch.randn(3, 8, dtype=F64) for _ in range(3))
    y, residual_out = norm(x, g, residual=residual, prenorm=True)
    torch.testing.assert_close(
        y, gate_formula(rms_formula(x + residual, norm.weight), g, "swish"), **CLOSE
    )
    torch.testing.assert_close(residual_out, x + residual, **CLOSE)
    _, residual_out = norm(x.float(), g, prenorm=True, residual_in_fp32=True)
    assert residual_out.dtype == torch.float32


def test_fused_rms_norm_gated_half_precision():
    norm = FusedRMSNormGated(32)
    x, g = (torch.randn(4, 32).to(torch.bfloat16) for _ in range(2))
    y = norm(x, g)
    assert y.dtype == torch.bfloat16
    assert_rounded_from(y, gate_formula(rms_formula(x), g, "swish"))


def test_gated_layer_norm_and_swish_gate_variants():
    x, g = torch.randn(3, 8, dtype=F64), torch.randn(3, 8, dtype=F64)
    weight, bias = torch.randn(8, dtype=F64), torch.randn(8, dtype=F64)
    expected = gate_formula(F.layer_norm(x, (8,), weight, bias, 1e-6), g, "sigmoid")
    torch.testing.assert_close(
        layer_norm_gated(x, g, weight, bias, activation="sigmoid"), expected, **CLOSE
    )
    module = randomize(FusedLayerNormGated(8, bias=True, activation="sigmoid", eps=1e-6).double())
    torch.testing.assert_close(
        module(x, g),
        gate_formula(F.layer_norm(x, (8,), module.weight, module.bias, 1e-6), g, "sigmoid"),
        **CLOSE,
    )
    swish = FusedRMSNormSwishGate(8).double()
    assert swish.activation == "swish"
    torch.testing.assert_close(swish(x, g), gate_formula(rms_formula(x), g, "swish"), **CLOSE)


def test_gated_norm_gradcheck():
    x, g, residual = (torch.randn(2, 6, dtype=F64, requires_grad=True) for _ in range(3))
    weight = torch.randn(6, dtype=F64, requires_grad=True)

    def fn(x, g, residual, weight):
        return rms_norm_gated(x, g, weight, None, residual=residual, prenorm=True)

    assert torch.autograd.gradcheck(fn, (x, g, residual, weight))


def l2_formula(x, eps):
    x = x.double()
    return x / (x.pow(2).sum(-1, keepdim=True) + eps).sqrt()


def test_l2_norm_adds_eps_to_the_squared_norm():
    x = torch.full((2, 4), 0.1, dtype=F64)  # squared norm 0.04
    torch.testing.assert_close(l2_norm(x, eps=0.5), l2_formula(x, 0.5), **CLOSE)
    # fla's formula: 0.1 / sqrt(0.04 + 0.5), not the norm floored at eps (0.1 / 0.5).
    assert abs(l2_norm(x, eps=0.5)[0, 0].item() - 0.1 / 0.54**0.5) < 1e-15
    # Far above eps the result approaches x / ||x|| to eps / (2 ||x||^2) relative.
    assert abs(l2_norm(x, eps=1e-6)[0, 0].item() - 0.5 / (1 + 1e-6 / 0.04) ** 0.5) < 1e-15
    # A zero vector stays zero.
    assert torch.equal(l2_norm(torch.zeros(3, 8, dtype=F64)), torch.zeros(3, 8, dtype=F64))
    assert l2norm is l2_norm


def test_l2_norm_dtypes_and_module():
    x = torch.randn(3, 5, 16).to(torch.bfloat16)
    assert l2_norm(x).dtype == torch.bfloat16
    y = l2_norm(x, output_dtype=torch.float32)
    assert y.dtype == torch.float32
    torch.testing.assert_close(y.double(), l2_formula(x, 1e-6), rtol=1e-6, atol=1e-6)
    module = L2Norm(eps=1e-3, output_dtype=torch.float64)
    torch.testing.assert_close(module(x.float()), l2_formula(x, 1e-3), rtol=1e-6, atol=1e-6)


def test_l2_norm_gradcheck():
    x = torch.randn(3, 7, dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: l2_norm(t, eps=1e-2), (x,))


def test_legacy_and_package_import_paths():
    import myfla.modules.norm.fused_norm_gate as fused_module
    import myfla.modules.norm.l2norm as l2_module
    from myfla.modules.norm import RMSNorm as AliasRMSNorm
    from myfla.modules.norm import group_norm as alias_group_norm

    assert AliasRMSNorm is RMSNorm and alias_group_norm is group_norm
    assert l2_module.l2_norm is l2_norm and fused_module.rms_norm_gated is rms_norm_gated


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="activation"):
        FusedRMSNormGated(8, activation="relu")
    with pytest.raises(ValueError, match="activation"):
        rms_norm_gated(torch.randn(2, 4), torch.randn(2, 4), None, None, activation="tanh")
    with pytest.raises(ValueError, match="g must have the shape of x"):
        FusedRMSNormGated(4)(torch.randn(2, 4), torch.randn(1, 4))
    with pytest.raises(ValueError, match="hidden_size=8"):
        RMSNorm(8)(torch.randn(2, 4))
    with pytest.raises(ValueError, match="hidden_size=8"):
        RMSNorm(8, elementwise_affine=False)(torch.randn(2, 4))
    with pytest.raises(ValueError, match="residual"):
        RMSNorm(4)(torch.randn(2, 4), residual=torch.randn(3, 4))
    with pytest.raises(ValueError, match="num_groups"):
        GroupNorm(3, 8)
    with pytest.raises(ValueError, match="num_groups"):
        group_norm(torch.randn(2, 8), None, None, num_groups=3)
    with pytest.raises(ValueError, match="weight"):
        rms_norm(torch.randn(2, 8), torch.randn(4), None)
    with pytest.raises(TypeError, match="x"):
        l2_norm([1.0, 2.0])
