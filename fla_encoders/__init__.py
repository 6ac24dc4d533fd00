"""Sequence encoders for financial time series, chosen by name through ``FLAEncoderFactory``."""

from fla_encoders.base import FLAEncoderStrategy
from fla_encoders.errors import EncoderLoadError, EncoderPluginWarning, UnknownEncoderError
from fla_encoders.registry import ENTRY_POINT_GROUP, EncoderRegistry, FLAEncoderFactory, Provider
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
