"""GLA models (``fla.models.gla``), registered with the Auto classes."""

from myfla.models.gla.configuration_gla import GLAConfig
from myfla.models.gla.modeling_gla import GLAForCausalLM, GLAModel
from myfla.models.registration import register

register(GLAConfig, GLAModel, GLAForCausalLM)

__all__ = ["GLAConfig", "GLAForCausalLM", "GLAModel"]
