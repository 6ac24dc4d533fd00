"""Pure-PyTorch re-implementation of flash-linear-attention layers, with no Triton.

As ``fla``, the package exports its layers and its models (not the configs). The models need
transformers and are imported on first use, so that ``import myfla`` never imports it.
"""

from myfla.layers import GatedDeltaNet, GatedLinearAttention, RWKV7Attention
from myfla.version import __version__ as __version__

MODELS = (
    "GLAForCausalLM",
    "GLAModel",
    "GatedDeltaNetForCausalLM",
    "GatedDeltaNetModel",
    "RWKV7ForCausalLM",
    "RWKV7Model",
)


def __getattr__(name: str):
    if name in MODELS:
        import myfla.models

        return getattr(myfla.models, name)
    raise AttributeError(f"module 'myfla' has no attribute {name!r}")


__all__ = ["GatedDeltaNet", "GatedLinearAttention", "RWKV7Attention", *MODELS]
