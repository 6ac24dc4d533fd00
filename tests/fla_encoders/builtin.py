"""The built-in encoders at test size, and the myfla layers each one waits on."""

from typing import Any, Dict

import pytest
import torch

import myfla.layers
from fla_encoders import FLAEncoderFactory

N_FEATURES, HIDDEN = 5, 16

SMALL: Dict[str, Dict[str, Any]] = {
    "gru": {},
    "transformer": {"num_heads": 2},
    "gated_deltanet": {"num_heads": 2},
    "gla": {"num_heads": 2},
    "rwkv7": {"head_dim": 8},
    "dual": {"rwkv7_kwargs": {"head_dim": 8}},
}
"""Encoder name -> ``encoder_kwargs`` of a small instance (with ``hidden_size=HIDDEN``)."""

REFERENCES: Dict[str, Dict[str, Any]] = {"linear": {}}
"""The same for the built-in references: they see the last step only, so they have no per-step
states and no pooling to test."""

LAYERS = {
    "gated_deltanet": ["GatedDeltaNet"],
    "gla": ["GatedLinearAttention"],
    "rwkv7": ["RWKV7Attention"],
    "dual": ["RWKV7Attention", "GatedDeltaNet"],
}


def require(name: str) -> None:
    """Skip the test while a myfla layer that encoder ``name`` needs has not landed."""
    for layer in LAYERS.get(name, []):
        if not hasattr(myfla.layers, layer):
            pytest.skip(f"encoder {name!r} waits on myfla.layers.{layer}, not there yet")


def small(name: str, perturb: bool = False, **overrides: Any):
    """A small encoder ``name`` from the factory (skipped while its layer is missing).

    ``perturb`` adds noise to every parameter, so that projections initialised to zero (RWKV7's
    ``o_proj``) carry signal and a test can see what flows through them.
    """
    require(name)
    kwargs = dict({**SMALL, **REFERENCES}[name], n_features=N_FEATURES, hidden_size=HIDDEN)
    kwargs.update(overrides)
    encoder = FLAEncoderFactory.create(name, **kwargs)
    if perturb:
        generator = torch.Generator().manual_seed(7)
        with torch.no_grad():
            for param in encoder.parameters():
                param.add_(0.1 * torch.randn(param.shape, generator=generator))
    return encoder
