"""The dual encoder: fusion modes, and the gate that weighs the RWKV7 branch."""

import pytest
import torch

from fla_encoders.nn.fusion import FUSION_MODES
from tests.fla_encoders.builtin import HIDDEN, N_FEATURES, small


@pytest.mark.parametrize(
    "mode, width", [("concat", 2 * HIDDEN), ("add", HIDDEN), ("gated", HIDDEN)]
)
def test_each_fusion_mode_gives_its_output_dim(mode, width):
    encoder = small("dual", fusion_mode=mode)
    encoder.monitoring = True
    encoded, info = encoder(torch.randn(2, 6, N_FEATURES))
    assert encoder.output_dim == width and encoded.shape == (2, width)
    assert ("gate_value" in info) == (mode == "gated")
    assert "rwkv7_state_norm" in info and "gated_deltanet_state_norm" in info
    assert mode in FUSION_MODES


def test_an_unknown_fusion_mode_is_refused_by_name():
    with pytest.raises(ValueError, match="fusion_mode"):
        small("dual", fusion_mode="mul")


def test_the_gate_stays_in_0_1_and_moves_in_training():
    torch.manual_seed(0)
    encoder = small("dual", fusion_mode="gated", dropout=0.0)
    head = torch.nn.Linear(HIDDEN, 1)
    optimizer = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=1e-2)
    x, y = torch.randn(8, 4, N_FEATURES), torch.randn(8, 1)
    values = []
    for _ in range(4):
        encoded, info = encoder(x)
        assert 0.0 <= info["gate_value"] <= 1.0
        per_sample = info["gate_value_per_sample"]
        assert per_sample.shape == (8,) and not per_sample.requires_grad
        assert ((per_sample >= 0) & (per_sample <= 1)).all()
        values.append(info["gate_value"])
        loss = (head(encoded) - y).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert max(values) - min(values) > 1e-3
