"""Properties of every built-in encoder and of the model on random small batches (hypothesis):
left padding is inert whatever it holds, NaN or Inf at a token and masks that are not 0/1 left
padding are refused with a ``ValueError`` naming ``x`` / ``attention_mask``, and nothing else
ever goes wrong."""

import functools
import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fla_encoders.model import FLAFinancialModel
from fla_encoders.nn.pooling import POOLINGS
from tests.fla_encoders.builtin import HIDDEN, N_FEATURES, REFERENCES, SMALL, small

EVERY = sorted({**SMALL, **REFERENCES})
FILLS = [0.0, -3.0, 1e4, math.nan, math.inf, -math.inf]
MASK_VALUES = [0, 1, 0.5, 2, -1]
K = 2
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.lru_cache(maxsize=None)
def encoder(name: str, pooling: str):
    """A small eval-mode encoder with perturbed weights, built once per test session (the
    references take no pooling)."""
    pooled = {} if name in REFERENCES else {"pooling": pooling}
    return small(name, perturb=True, **pooled).eval()


@functools.lru_cache(maxsize=None)
def model(name: str) -> FLAFinancialModel:
    torch.manual_seed(0)
    kwargs = {**SMALL, **REFERENCES}[name]
    net = FLAFinancialModel(N_FEATURES, K, name, HIDDEN, kwargs, prediction_hidden=[4])
    return net.eval()


def random_x(seed: int, b: int, t: int) -> torch.Tensor:
    return torch.randn(b, t, N_FEATURES, generator=torch.Generator().manual_seed(seed))


def left_padding(lengths, t: int) -> torch.Tensor:
    """``(B, T)`` float mask: row ``b`` holds ``lengths[b]`` tokens at its end."""
    return (torch.arange(t)[None] >= t - torch.tensor(lengths)[:, None]).float()


@st.composite
def padded_batches(draw, max_b: int = 3, max_t: int = 6):
    """``(x, mask, lengths)``: ``x: (B, T, F)`` whose padded steps hold a drawn value (NaN and
    Inf included) at drawn places, ``mask`` left padding with ``lengths`` tokens per row."""
    b, t = draw(st.integers(1, max_b)), draw(st.integers(1, max_t))
    lengths = draw(st.lists(st.integers(1, t), min_size=b, max_size=b))
    mask = left_padding(lengths, t)
    x = random_x(draw(st.integers(0, 2**16)), b, t)
    spots = torch.tensor(draw(st.lists(st.booleans(), min_size=b * t, max_size=b * t)))
    fill = spots.view(b, t, 1) & (mask == 0)[..., None]
    return x.masked_fill(fill, draw(st.sampled_from(FILLS))), mask, lengths


def is_left_padding(row) -> bool:
    """The mask rule, in plain Python: zeros then ones, at least one one."""
    return set(row) <= {0, 1} and list(row) == sorted(row) and row[-1] == 1


@FAST
@given(name=st.sampled_from(EVERY), pooling=st.sampled_from(POOLINGS), batch=padded_batches())
def test_a_left_padded_sequence_encodes_as_it_would_alone(name, pooling, batch):
    x, mask, lengths = batch
    net = encoder(name, pooling)
    with torch.no_grad():
        together = net(x, attention_mask=mask)[0]
        for row, length in enumerate(lengths):
            alone = net(x[row : row + 1, x.shape[1] - length :])[0]
            torch.testing.assert_close(together[row : row + 1], alone, rtol=1e-4, atol=1e-5)


@FAST
@given(name=st.sampled_from(EVERY), batch=padded_batches(), data=st.data())
def test_nan_or_inf_at_a_token_is_refused_naming_x(name, batch, data):
    x, mask, lengths = batch
    row = data.draw(st.integers(0, len(lengths) - 1))
    step = data.draw(st.integers(x.shape[1] - lengths[row], x.shape[1] - 1))
    x[row, step, data.draw(st.integers(0, N_FEATURES - 1))] = data.draw(
        st.sampled_from([math.nan, math.inf, -math.inf])
    )
    with pytest.raises(ValueError, match="^x holds NaN or Inf at a token"):
        encoder(name, "mean")(x, attention_mask=mask)


@st.composite
def masks(draw, b: int, t: int):
    """A ``(b, t)`` mask: left padding, or anything at all."""
    if draw(st.booleans()):
        return left_padding(draw(st.lists(st.integers(1, t), min_size=b, max_size=b)), t)
    values = st.lists(st.sampled_from(MASK_VALUES), min_size=t, max_size=t)
    rows = draw(st.lists(values, min_size=b, max_size=b))
    return torch.tensor(rows, dtype=torch.float32).view(b, t)


@FAST
@given(
    name=st.sampled_from(EVERY),
    shape=st.tuples(st.integers(1, 3), st.integers(1, 5)),
    data=st.data(),
)
def test_a_mask_is_accepted_if_and_only_if_it_is_0_1_left_padding(name, shape, data):
    mask = data.draw(masks(*shape))
    x = random_x(0, *shape)
    if all(is_left_padding(row) for row in mask.tolist()):
        encoded, _ = encoder(name, "attention")(x, attention_mask=mask)
        assert encoded.shape == (shape[0], HIDDEN) and torch.isfinite(encoded).all()
    else:
        with pytest.raises(ValueError, match="^attention_mask"):
            encoder(name, "attention")(x, attention_mask=mask)


@FAST
@given(
    name=st.sampled_from(EVERY),
    shape=st.tuples(st.integers(0, 3), st.integers(0, 4)),
    masked=st.booleans(),
    data=st.data(),
)
def test_the_model_predicts_or_refuses_by_the_documented_rule(name, shape, masked, data):
    b, t = shape
    x = random_x(data.draw(st.integers(0, 2**16)), b, t)
    spots = data.draw(st.lists(st.booleans(), min_size=b * t, max_size=b * t))
    x[torch.tensor(spots, dtype=torch.bool).view(b, t)] = data.draw(st.sampled_from(FILLS))
    mask = data.draw(masks(b, t)) if masked and t else None
    rows = [] if mask is None else mask.tolist()
    tokens = torch.ones(b, t, dtype=torch.bool) if mask is None else mask == 1
    refused = (
        "x has no time steps"
        if t == 0
        else "attention_mask"
        if not all(is_left_padding(row) for row in rows)
        else "x holds NaN or Inf"
        if not torch.isfinite(x[tokens]).all()
        else None
    )
    kwargs = {} if mask is None else {"attention_mask": mask}
    if refused is None:
        with torch.no_grad():
            predictions, _ = model(name)(x, **kwargs)
        assert predictions.shape == (b, K) and torch.isfinite(predictions).all()
    else:
        with pytest.raises(ValueError, match=f"^{refused}"):
            model(name)(x, **kwargs)
