"""FLAFinancialModel, MyMLP and the initialisation policy."""

import io

import pytest
import torch

from fla_encoders import FLAEncoderFactory, UnknownEncoderError
from fla_encoders.model import FLAFinancialModel, MyMLP
from tests.fla_encoders.builtin import HIDDEN, N_FEATURES, SMALL, require
from tests.fla_encoders.encoders import LastStep


def model(name: str, **overrides) -> FLAFinancialModel:
    require(name)
    kwargs = dict(
        n_features=N_FEATURES,
        num_targets=3,
        encoder_name=name,
        hidden_size=HIDDEN,
        encoder_kwargs=SMALL[name],
        prediction_hidden=[8, 4],
    )
    kwargs.update(overrides)
    return FLAFinancialModel(**kwargs)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_predictions_and_extra_info(name):
    net = model(name)
    x = torch.randn(4, 6, N_FEATURES)
    predictions, info = net(x)
    assert predictions.shape == (4, 3) and info["encoder"] == name
    assert net.head[0].in_features == net.encoder.output_dim


@pytest.mark.parametrize("name", sorted(SMALL))
def test_save_and_load_with_weights_only_reproduces_outputs_exactly(name):
    torch.manual_seed(0)
    trained = model(name).eval()
    buffer = io.BytesIO()
    torch.save(trained.state_dict(), buffer)
    buffer.seek(0)
    torch.manual_seed(1)
    loaded = model(name).eval()
    loaded.load_state_dict(torch.load(buffer, weights_only=True))
    x = torch.randn(4, 6, N_FEATURES)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x)[0], trained(x)[0], rtol=0, atol=0)


def test_dual_concat_sizes_the_head_from_output_dim():
    net = model("dual", encoder_kwargs=dict(SMALL["dual"], fusion_mode="concat"))
    assert net.head[0].in_features == 2 * HIDDEN


def test_the_model_dropout_reaches_the_encoder_unless_encoder_kwargs_set_it():
    assert model("gru", dropout=0.3).encoder.dropout.p == 0.3
    assert model("gru", dropout=0.3, encoder_kwargs={"dropout": 0.0}).encoder.dropout.p == 0.0


def test_a_third_party_encoder_plugs_in_by_name(monkeypatch):
    monkeypatch.setattr(FLAEncoderFactory, "_registered", dict(FLAEncoderFactory._registered))
    FLAEncoderFactory.register("test_model_last_step")(LastStep)
    net = FLAFinancialModel(N_FEATURES, 2, "test_model_last_step", hidden_size=7)
    assert net(torch.randn(3, 4, N_FEATURES))[0].shape == (3, 2)
    assert net.head[0].in_features == 7


def test_an_unknown_encoder_name_is_refused():
    with pytest.raises(UnknownEncoderError, match="no_such_encoder"):
        FLAFinancialModel(N_FEATURES, 2, "no_such_encoder")


def test_encoder_kwargs_cannot_set_the_models_own_sizes():
    with pytest.raises(ValueError, match="hidden_size"):
        model("gru", encoder_kwargs={"hidden_size": 8})


def test_a_wrong_feature_count_at_call_time_names_n_features():
    with pytest.raises(ValueError, match="n_features"):
        model("gru")(torch.randn(2, 4, N_FEATURES + 2))


def test_my_mlp_layers_norms_and_errors():
    mlp = MyMLP(6, [8, 4], 2, activation="relu", dropout=0.1, norm="layer")
    assert mlp(torch.randn(5, 6)).shape == (5, 2)
    assert sum(isinstance(m, torch.nn.LayerNorm) for m in mlp) == 2
    assert all(m.bias.abs().sum() == 0 for m in mlp if isinstance(m, torch.nn.Linear))
    with pytest.raises(ValueError, match="activation"):
        MyMLP(6, [8], 2, activation="swoosh")
    with pytest.raises(ValueError, match="norm"):
        MyMLP(6, [8], 2, norm="group")
    with pytest.raises(ValueError, match="hidden_sizes"):
        MyMLP(6, [0], 2)


def test_the_init_policy_keeps_the_layers_own_inits():
    require("rwkv7")
    torch.manual_seed(0)
    net = model("dual")
    layers = [m for m in net.modules() if type(m).__module__.startswith("myfla.layers")]
    snapshot = {id(p): p.clone() for layer in layers for p in layer.parameters()}
    net.encoder.init_weights()
    for layer in layers:
        for p in layer.parameters():
            torch.testing.assert_close(p, snapshot[id(p)], rtol=0, atol=0)
    rwkv7 = net.encoder.branches["rwkv7"].blocks[0].mixer
    assert rwkv7.o_proj.weight.abs().sum() == 0  # RWKV7's own init: a zero output projection
