"""RWKV-7 models (``fla.models.rwkv7``), registered with the Auto classes."""

from myfla.models.registration import register
from myfla.models.rwkv7.configuration_rwkv7 import RWKV7Config
from myfla.models.rwkv7.modeling_rwkv7 import RWKV7ForCausalLM, RWKV7Model

register(RWKV7Config, RWKV7Model, RWKV7ForCausalLM)

__all__ = ["RWKV7Config", "RWKV7ForCausalLM", "RWKV7Model"]
