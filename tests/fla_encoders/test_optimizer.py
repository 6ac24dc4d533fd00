"""AdamW decays the weight matrices and nothing else: norm gains, biases and the mixers'
decay parameters keep their values when their gradient is zero."""

import pytest
import torch

from fla_encoders.model import FLAFinancialModel
from fla_encoders.training.config import TrainConfig
from fla_encoders.training.optimizer import make_optimizer, parameter_groups


@pytest.mark.parametrize("encoder", ["gru", "gated_deltanet", "rwkv7"])
def test_only_matrices_are_decayed(encoder):
    model = FLAFinancialModel(n_features=6, num_targets=2, hidden_size=64, encoder_name=encoder)
    decayed, kept = parameter_groups(model, 3.0)
    names = {id(p): n for n, p in model.named_parameters()}
    assert {names[id(p)] for p in decayed["params"]} | {
        names[id(p)] for p in kept["params"]
    } == set(names.values())
    assert all(p.ndim >= 2 for p in decayed["params"]) and decayed["weight_decay"] == 3.0
    assert all(p.ndim < 2 for p in kept["params"]) and kept["weight_decay"] == 0.0
    kept_names = {names[id(p)] for p in kept["params"]}
    if encoder == "gated_deltanet":
        assert any(n.endswith("A_log") for n in kept_names)
        assert any(n.endswith("dt_bias") for n in kept_names)
    assert any("bias" in n for n in kept_names)
    if encoder != "gru":
        assert any("norm" in n for n in kept_names)


def test_a_step_with_zero_gradients_shrinks_matrices_only():
    model = FLAFinancialModel(n_features=6, num_targets=2, hidden_size=16, encoder_name="gru")
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = make_optimizer(model, TrainConfig(lr=0.1, weight_decay=1.0))
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    for name, p in model.named_parameters():
        if p.ndim >= 2:
            assert torch.allclose(p, before[name] * 0.9), name  # (1 - lr * decay)
        else:
            assert torch.equal(p, before[name]), name
