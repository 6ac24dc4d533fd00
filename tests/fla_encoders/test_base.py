"""FLAEncoderStrategy: an abstract nn.Module, (B, T, F) -> ((B, output_dim), dict)."""

import pytest
import torch

from fla_encoders import FLAEncoderStrategy
from tests.fla_encoders.encoders import LastStep


def test_the_base_class_cannot_be_instantiated():
    with pytest.raises(TypeError, match="abstract"):
        FLAEncoderStrategy()


def test_a_subclass_without_forward_cannot_be_instantiated():
    class Incomplete(FLAEncoderStrategy):
        output_dim = 1

    with pytest.raises(TypeError, match="forward"):
        Incomplete()


def test_a_subclass_is_a_module_mapping_btf_to_b_output_dim_and_a_dict():
    encoder = LastStep(n_features=3, hidden_size=5)
    encoded, extra_info = encoder(torch.randn(2, 7, 3))
    assert isinstance(encoder, torch.nn.Module)
    assert encoded.shape == (2, encoder.output_dim) == (2, 5)
    assert extra_info == {"time_steps": 7}
