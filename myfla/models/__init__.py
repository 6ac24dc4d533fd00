"""The models (``fla.models``) and their per-layer inference cache.

With transformers installed (``pip install 'myfla[hf]'``), importing this package registers the
GatedDeltaNet, GLA and RWKV7 models with transformers' Auto classes, as ``import fla`` does.
Without it, only the cache is here.
"""

from myfla.models.cache_utils import Cache, FLACache, FLALayer, TransformersCache

__all__ = [
    "Cache",
    "FLACache",
    "FLALayer",
    "GLAConfig",
    "GLAForCausalLM",
    "GLAModel",
    "GatedDeltaNetConfig",
    "GatedDeltaNetForCausalLM",
    "GatedDeltaNetModel",
    "RWKV7Config",
    "RWKV7ForCausalLM",
    "RWKV7Model",
]

if TransformersCache is not None:
    from myfla.models.gated_deltanet import (
        GatedDeltaNetConfig,
        GatedDeltaNetForCausalLM,
        GatedDeltaNetModel,
    )
    from myfla.models.gla import GLAConfig, GLAForCausalLM, GLAModel
    from myfla.models.rwkv7 import RWKV7Config, RWKV7ForCausalLM, RWKV7Model
else:

    def __getattr__(name: str):
        if name in __all__:
            raise ImportError(f"myfla.models.{name} needs transformers: pip install 'myfla[hf]'")
        raise AttributeError(f"module 'myfla.models' has no attribute {name!r}")

