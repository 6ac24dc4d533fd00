"""Sequence encoders for financial time series, chosen by name through ``FLAEncoderFactory``.

Layers, each importing only those before it (docs/architecture.md): ``nn``, ``registry``,
``encoders``, ``model``, ``data``, ``evaluation``, ``training``, ``experiments``, ``cli``.
"""

from fla_encoders.registry import (
    ENTRY_POINT_GROUP,
    EncoderLoadError,
    EncoderPluginWarning,
    EncoderRegistry,
    FLAEncoderFactory,
    FLAEncoderStrategy,
    Provider,
    UnknownEncoderError,
)
from myfla.version import __version__

__all__ = [
    "ENTRY_POINT_GROUP",
    "EncoderLoadError",
    "EncoderPluginWarning",
    "EncoderRegistry",
    "FLAEncoderFactory",
    "FLAEncoderStrategy",
    "Provider",
    "UnknownEncoderError",
    "__version__",
]
