"""AdamW decays every parameter by default; with ``weight_decay_on="matrices"`` the weight
matrices only: norm gains, biases and the mixers' decay parameters keep their values when their
gradient is zero."""

import pytest
import torch

from fla_encoders.model import FLAFinancialModel
from fla_encoders.training.config import TrainConfig
from fla_encoders.training.optimizer import make_optimizer, parameter_groups


def model_of(encoder: str) -> FLAFinancialModel:
    return FLAFinancialModel(n_features=6, num_targets=2, hidden_size=64, encoder_name=encoder)


@pytest.mark.parametrize("encoder", ["gru", "gated_deltanet", "rwkv7"])
def test_matrices_only_leaves_vectors_undecayed(encoder):
    model = model_of(encoder)
    decayed, kept = parameter_groups(model, 3.0, "matrices")
    names = {id(p): n for n, p in model.named_parameters()}
    grouped = [names[id(p)] for p in decayed["params"] + kept["params"]]
    assert sorted(grouped) == sorted(names.values())
    assert all(p.ndim >= 2 for p in decayed["params"]) and decayed["weight_decay"] == 3.0
    assert all(p.ndim < 2 for p in kept["params"]) and kept["weight_decay"] == 0.0
    kept_names = {names[id(p)] for p in kept["params"]}
    assert any("bias" in n for n in kept_names)
    if encoder == "gated_deltanet":
        assert any(n.endswith("A_log") for n in kept_names)
        assert any(n.endswith("dt_bias") for n in kept_names)
    if encoder != "gru":
        assert any("norm" in n for n in kept_names)


@pytest.mark.parametrize("decay_on", ["all", "matrices"])
def test_a_step_with_zero_gradients_shrinks_what_is_decayed(decay_on):
    model = model_of("gru")
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    config = TrainConfig(lr=0.1, weight_decay=1.0, weight_decay_on=decay_on)
    optimizer = make_optimizer(model, config)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    for name, p in model.named_parameters():
        if decay_on == "all" or p.ndim >= 2:
            assert torch.allclose(p, before[name] * 0.9), name  # (1 - lr * decay)
        else:
            assert torch.equal(p, before[name]), name


def test_an_unknown_choice_is_refused():
    with pytest.raises(ValueError, match=r"training.weight_decay_on: 'vectors'; expected one of"):
        TrainConfig.from_dict({"weight_decay_on": "vectors"})
