"""The model's boundary: bad input refused once whatever the encoder (a plugin's too), empty
batches answered, plugin outputs checked, and no batch norm that keeps non-finite statistics."""

import itertools

import pytest
import torch
from torch import nn

from fla_encoders import FLAEncoderFactory, FLAEncoderStrategy
from fla_encoders.model import FLAFinancialModel, PredictionHead
from fla_encoders.nn.norms import FiniteBatchNorm1d
from tests.fla_encoders.builtin import HIDDEN, N_FEATURES, SMALL, require
from tests.fla_encoders.encoders import LastStep

NAMES = sorted(SMALL)
CLASSES = itertools.count()
B, T, K = 4, 5, 3


def model(name: str, **overrides) -> FLAFinancialModel:
    require(name)
    kwargs = dict(encoder_kwargs=SMALL.get(name, {}), prediction_hidden=[8])
    kwargs.update(overrides)
    return FLAFinancialModel(N_FEATURES, K, name, hidden_size=HIDDEN, **kwargs)


class Recorder(LastStep):
    """A plugin that takes a mask and keeps what it was given."""

    def forward(self, x, attention_mask=None):
        self.seen = x.clone()
        return super().forward(x)


class Returns(FLAEncoderStrategy):
    """A plugin that returns ``make(x)``."""

    make = staticmethod(lambda x: (x[:, -1], {}))

    def __init__(self, n_features, hidden_size):
        super().__init__()
        self.output_dim = hidden_size
        self.weight = nn.Parameter(torch.ones(()))

    def forward(self, x):
        return type(self).make(x)


@pytest.fixture
def plugin(monkeypatch):
    """``plugin(name, cls)``: ``cls`` registered as ``name`` for this test."""
    monkeypatch.setattr(FLAEncoderFactory, "_registered", dict(FLAEncoderFactory._registered))

    def register(name, cls):
        FLAEncoderFactory.register(name)(cls)
        return name

    return register


def returning(make):
    """A ``Returns`` plugin class of its own (the registry caches classes by name)."""
    name = f"Returning{next(CLASSES)}"
    return type(name, (Returns,), {"make": staticmethod(make), "__qualname__": name})


@pytest.mark.parametrize(
    "make, returned",
    [
        (lambda x: (x, {}), r"\(4, 5, 5\)"),  # (B, T, D)
        (lambda x: (x[:, -1, :2], {}), r"\(4, 2\)"),  # not output_dim wide
        (lambda x: x[:, -1], "got Tensor"),  # a bare tensor
        (lambda x: (x[:, -1], ["info"]), r"got a tuple of 2 \(Tensor, list\)"),  # info not a dict
        (lambda x: (x[:, -1], {}, {}), "got a tuple of 3"),
    ],
)
def test_a_plugin_output_off_the_contract_is_an_error_naming_it_and_what_it_returned(
    plugin, make, returned
):
    net = FLAFinancialModel(N_FEATURES, K, plugin("test_off_contract", returning(make)), N_FEATURES)
    with pytest.raises(TypeError, match=f"encoder 'test_off_contract' must return .*{returned}"):
        net(torch.randn(B, T, N_FEATURES))


def test_a_plugin_gets_checked_input_with_its_padding_zeroed(plugin):
    net = FLAFinancialModel(N_FEATURES, K, plugin("test_recorder", Recorder), 4)
    x = torch.randn(B, T, N_FEATURES)
    x[:, 0] = float("nan")
    mask = torch.ones(B, T)
    mask[:, 0] = 0
    assert torch.isfinite(net(x, attention_mask=mask)[0]).all()
    assert (net.encoder.seen[:, 0] == 0).all() and torch.equal(net.encoder.seen[:, 1:], x[:, 1:])
    with pytest.raises(ValueError, match="attention_mask must be left padding"):
        net(x, attention_mask=mask.flip(1))
    with pytest.raises(ValueError, match="attention_mask must hold 0 .*got 0.5"):
        net(x, attention_mask=mask * 0.5)
    with pytest.raises(ValueError, match="x holds NaN or Inf at a token"):
        net(x)


@pytest.mark.parametrize("name", [*NAMES, "plugin"])
def test_an_empty_batch_gives_empty_predictions_and_no_steps_is_refused(plugin, name):
    net = model(plugin("test_recorder", Recorder) if name == "plugin" else name)
    predictions, _ = net(torch.randn(0, T, N_FEATURES))
    assert predictions.shape == (0, K)
    with pytest.raises(ValueError, match="x has no time steps"):
        net(torch.randn(B, 0, N_FEATURES))


@pytest.mark.parametrize("name", NAMES)
def test_one_nan_sample_in_training_is_refused_not_spread_over_its_batch(name):
    net = model(name).train()
    x = torch.randn(B, T, N_FEATURES)
    x[1, -1, 2] = float("nan")
    with pytest.raises(ValueError, match="x holds NaN or Inf at a token .* of 1 sequence"):
        net(x)


def test_a_nan_batch_leaves_the_transformer_batch_norm_as_it_was():
    net = model("transformer").train()
    norm = net.encoder.embed.norm
    net(torch.randn(B, T, N_FEATURES))
    before = norm.running_mean.clone(), norm.running_var.clone()
    with pytest.raises(ValueError, match="x holds NaN"):
        net(torch.full((B, T, N_FEATURES), float("nan")))
    assert torch.equal(norm.running_mean, before[0]) and torch.equal(norm.running_var, before[1])
    net.eval()
    assert torch.isfinite(net(torch.randn(B, T, N_FEATURES))[0]).all()


def test_finite_batch_norm_is_batch_norm_on_finite_input():
    torch.manual_seed(0)
    plain, finite = nn.BatchNorm1d(6), FiniteBatchNorm1d(6)
    finite.load_state_dict(plain.state_dict())
    for _ in range(3):
        x = torch.randn(8, 6, requires_grad=True)
        outputs = [norm(x) for norm in (plain, finite)]
        grads = [torch.autograd.grad(out.square().sum(), x)[0] for out in outputs]
        assert torch.equal(outputs[0], outputs[1]) and torch.equal(grads[0], grads[1])
    for key, value in plain.state_dict().items():
        assert torch.equal(value, finite.state_dict()[key]), key


def test_finite_batch_norm_keeps_finite_statistics_on_a_non_finite_batch():
    norm = FiniteBatchNorm1d(3)
    norm(torch.randn(8, 3))
    before = norm.running_mean.clone(), norm.running_var.clone()
    x = torch.randn(8, 3)
    x[2, 0], x[5, 1] = float("nan"), float("inf")
    norm(x)
    assert torch.equal(norm.running_mean[:2], before[0][:2])
    assert torch.equal(norm.running_var[:2], before[1][:2])
    assert not torch.equal(norm.running_mean[2], before[0][2])  # the finite channel updates
    norm(torch.randn(0, 3))  # an empty batch has no statistics either
    assert torch.isfinite(norm.running_mean).all() and torch.isfinite(norm.running_var).all()


def test_a_batch_norm_head_after_a_nan_emitting_plugin_keeps_finite_statistics(plugin):
    nan_plugin = returning(lambda x: (x[:, -1] * float("nan"), {}))
    net = FLAFinancialModel(N_FEATURES, K, plugin("test_nan_out", nan_plugin), N_FEATURES)
    net.head = PredictionHead(N_FEATURES, [8], K, norm="batch")
    assert not torch.isfinite(net(torch.randn(B, T, N_FEATURES))[0]).any()
    norm = net.head[1]
    assert isinstance(norm, FiniteBatchNorm1d)
    assert torch.equal(norm.running_mean, torch.zeros(8))
    assert torch.equal(norm.running_var, torch.ones(8))
