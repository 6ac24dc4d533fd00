"""Every built-in encoder on bad input: what padding holds reaches no token, masks that are not
0/1 left padding are refused, NaN at a token is refused, ``B = 0`` is an empty encoding and
``T = 0`` a refusal naming ``x``."""

import pytest
import torch

from fla_encoders.nn.checks import check_input
from fla_encoders.nn.pooling import POOLINGS
from tests.fla_encoders.builtin import N_FEATURES, REFERENCES, SMALL, small

NAMES = sorted(SMALL)
EVERY = sorted({**SMALL, **REFERENCES})
B, T, PAD = 3, 6, 2


def inputs(b: int = B, t: int = T, seed: int = 0) -> torch.Tensor:
    return torch.randn(b, t, N_FEATURES, generator=torch.Generator().manual_seed(seed))


def left_padded(x: torch.Tensor, pad: int, value: float):
    """``(padded, mask)``: ``pad`` steps of ``value`` before ``x``, every row but the first."""
    b = x.shape[0]
    padded = torch.cat([torch.full((b, pad, x.shape[2]), value), x], 1)
    mask = torch.cat([torch.zeros(b, pad), torch.ones(b, x.shape[1])], 1)
    padded[0, :pad], mask[0, :pad] = 1.0, 1  # one row is not padded at all
    return padded, mask


@pytest.mark.parametrize("value", [float("nan"), -float("inf")])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("name", NAMES)
def test_nan_or_inf_in_left_padding_reaches_no_token(name, pooling, value):
    encoder = small(name, perturb=True, pooling=pooling).eval()
    x = inputs()
    padded, mask = left_padded(x, PAD, value)
    with torch.no_grad():
        got = encoder(padded, attention_mask=mask)[0]
        expected = encoder(x)[0]
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got[1:], expected[1:], rtol=1e-4, atol=1e-5)


def test_nan_in_padding_changes_no_gradient_in_training():
    encoder = small("transformer", perturb=True).train()
    padded, mask = left_padded(inputs(), PAD, float("nan"))
    encoder(padded, attention_mask=mask)[0].square().sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in encoder.parameters() if p.grad is not None)
    assert torch.isfinite(encoder.embed.norm.running_mean).all()


MASKS = {
    "right padding": (torch.tensor([[1, 1, 1, 1, 0, 0]] * B), "left padding.*row 0.*step 3"),
    "a hole": (torch.tensor([[0, 1, 0, 1, 1, 1]] * B), "left padding.*row 0.*step 1"),
    "a half": (torch.tensor([[0.0, 0.5, 1, 1, 1, 1]] * B), "0 .*or 1 .*got 0.5 at row 0"),
    "a two": (torch.tensor([[0, 0, 1, 2, 1, 1]] * B), "0 .*or 1 .*got 2 at row 0"),
    "no token": (torch.tensor([[1] * T, [0] * T, [1] * T]), "row 1 has no token"),
}


@pytest.mark.parametrize("kind", sorted(MASKS))
@pytest.mark.parametrize("name", EVERY)
def test_a_mask_that_is_not_0_1_left_padding_is_refused(name, kind):
    mask, reason = MASKS[kind]
    with pytest.raises(ValueError, match=f"attention_mask.*{reason}"):
        small(name)(inputs(), attention_mask=mask)


@pytest.mark.parametrize("dtype", [torch.bool, torch.long, torch.float32, torch.float64])
def test_a_left_padding_mask_of_any_dtype_is_accepted(dtype):
    check_input(inputs(), N_FEATURES, left_padded(inputs(t=T - PAD), PAD, 0.0)[1].to(dtype))


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
@pytest.mark.parametrize("name", EVERY)
def test_nan_or_inf_at_a_token_is_refused_naming_x(name, value):
    x, mask = left_padded(inputs(), PAD, 0.0)
    x[2, PAD + 1, 0] = value
    refused = f"x holds NaN or Inf at a token .* of 1 sequence.*row 2, step {PAD + 1}"
    with pytest.raises(ValueError, match=refused):
        small(name)(x, attention_mask=mask)
    with pytest.raises(ValueError, match="row 2, step 3"):
        small(name)(x)


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("name", EVERY)
def test_an_empty_batch_gives_an_empty_encoding(name, masked):
    encoder = small(name)
    x = inputs(b=0)
    mask = {"attention_mask": torch.ones(0, T)} if masked else {}
    encoded, info = encoder(x, **mask)
    assert encoded.shape == (0, encoder.output_dim) and info["encoder"] == name


@pytest.mark.parametrize("name", EVERY)
def test_no_time_steps_is_refused_naming_x(name):
    with pytest.raises(ValueError, match=r"x has no time steps, shape \(3, 0, 5\)"):
        small(name)(inputs(t=0))
