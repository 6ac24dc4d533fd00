"""Every built-in encoder: shapes, gradients, causality, padding, determinism."""

import pytest
import torch

from fla_encoders import FLAEncoderFactory
from fla_encoders.encoders.pooled import PooledEncoder
from fla_encoders.nn.pooling import POOLINGS
from tests.fla_encoders.builtin import HIDDEN, N_FEATURES, SMALL, require, small

NAMES = sorted(SMALL)
B, T = 3, 7


def inputs(t: int = T, seed: int = 0) -> torch.Tensor:
    return torch.randn(B, t, N_FEATURES, generator=torch.Generator().manual_seed(seed))


def step_states(encoder, x: torch.Tensor) -> torch.Tensor:
    """The encoder's per-step hidden states before pooling, ``(B, T, H * branches)``."""
    if isinstance(encoder, PooledEncoder):
        return encoder.hidden_states(x, None)[0]
    return torch.cat([branch(x) for branch in encoder.branches.values()], -1)


@pytest.mark.parametrize("name", NAMES)
def test_registered_by_entry_point(name):
    require(name)
    assert FLAEncoderFactory.providers(name)[0].distribution == "fla-encoders"


@pytest.mark.parametrize("name", NAMES)
def test_output_shape_output_dim_and_extra_info(name):
    encoder = small(name)
    encoded, info = encoder(inputs())
    assert encoded.shape == (B, encoder.output_dim) == (B, HIDDEN)
    assert info["encoder"] == name
    for value in info.values():
        assert isinstance(value, (str, float, list, torch.Tensor))
        assert not isinstance(value, torch.Tensor) or not value.requires_grad


@pytest.mark.parametrize("name", NAMES)
def test_gradient_reaches_every_parameter(name):
    torch.manual_seed(0)
    encoder = small(name, pooling="attention")
    encoded, _ = encoder(inputs())
    encoded.square().sum().backward()
    for param_name, param in encoder.named_parameters():
        assert param.grad is not None, param_name
        assert torch.isfinite(param.grad).all(), param_name


@pytest.mark.parametrize("name", NAMES)
def test_causal_a_change_at_step_t_leaves_earlier_prefixes_alone(name):
    encoder = small(name, perturb=True, pooling="mean").eval()
    x, t = inputs(), 4
    changed = x.clone()
    changed[:, t] += 1.0
    with torch.no_grad():
        before, after = step_states(encoder, x), step_states(encoder, changed)
    assert before.shape[:2] == (B, T)
    torch.testing.assert_close(after[:, :t], before[:, :t], rtol=0, atol=0)
    assert not torch.allclose(after[:, t], before[:, t])


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("name", NAMES)
def test_left_padding_under_a_mask_changes_nothing(name, pooling):
    encoder = small(name, perturb=True, pooling=pooling).eval()
    x, pad = inputs(), 3
    padded = torch.cat([inputs(pad, seed=1) * 5, x], 1)
    mask = torch.cat([torch.zeros(B, pad), torch.ones(B, T)], 1)
    mask[0, :pad] = 1  # one sequence in the batch is not padded at all
    with torch.no_grad():
        expected = encoder(x)[0]
        got = encoder(padded, attention_mask=mask)[0]
    torch.testing.assert_close(got[1:], expected[1:], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_under_a_fixed_seed(name):
    outputs = []
    for _ in range(2):
        torch.manual_seed(123)
        encoder = small(name)
        outputs.append(encoder(inputs())[0])
    torch.testing.assert_close(outputs[0], outputs[1], rtol=0, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_a_feature_count_that_does_not_match_names_n_features(name):
    encoder = small(name)
    with pytest.raises(ValueError, match="n_features=5"):
        encoder(torch.randn(B, T, N_FEATURES + 1))


@pytest.mark.parametrize("name", NAMES)
def test_an_unknown_pooling_is_refused_by_name(name):
    require(name)
    with pytest.raises(ValueError, match="pooling"):
        small(name, pooling="max")


@pytest.mark.parametrize(
    "name, kwargs, argument",
    [
        ("gated_deltanet", {"hidden_size": 10, "num_heads": 3}, "num_heads"),
        ("gla", {"hidden_size": 16, "num_heads": 3}, "num_heads"),
        ("rwkv7", {"hidden_size": 16, "head_dim": 5}, "head_dim"),
        ("transformer", {"hidden_size": 12, "num_heads": 4}, "even"),
        ("transformer", {"hidden_size": 10, "num_heads": 3}, "num_heads"),
        ("transformer", {"feature_groups": [2, 2]}, "feature_groups"),
        ("gru", {"num_layers": 0}, "num_layers"),
        ("gated_deltanet", {"num_layers": 0}, "num_layers"),
    ],
)
def test_invalid_sizes_are_refused_naming_the_argument(name, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        small(name, **kwargs)


def test_the_init_policy_leaves_the_myfla_layers_alone():
    encoder = small("gated_deltanet")
    own = {n: p.clone() for n, p in encoder.named_parameters() if ".mixer." in n}
    encoder.init_weights()
    for n, p in encoder.named_parameters():
        if n in own:
            torch.testing.assert_close(p, own[n], rtol=0, atol=0)
    assert all(
        b.abs().sum() == 0 for n, b in encoder.named_parameters() if n.endswith("in_proj.bias")
    )
