"""GatedDeltaNet models (``fla.models.gated_deltanet``), registered with the Auto classes."""

from myfla.models.gated_deltanet.configuration_gated_deltanet import GatedDeltaNetConfig
from myfla.models.gated_deltanet.modeling_gated_deltanet import (
    GatedDeltaNetForCausalLM,
    GatedDeltaNetModel,
)
from myfla.models.registration import register

register(GatedDeltaNetConfig, GatedDeltaNetModel, GatedDeltaNetForCausalLM)

__all__ = ["GatedDeltaNetConfig", "GatedDeltaNetForCausalLM", "GatedDeltaNetModel"]
