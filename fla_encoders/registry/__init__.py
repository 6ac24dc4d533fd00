"""Encoders by name: the contract every encoder keeps, its errors, and the registry that finds
encoders in code and in the entry-point group ``fla_encoders.strategies``."""

from fla_encoders.registry.contract import EncoderOutput, FLAEncoderStrategy, check_output
from fla_encoders.registry.discovery import (
    BUILTIN_DISTRIBUTION,
    ENTRY_POINT_GROUP,
    EncoderRegistry,
    FLAEncoderFactory,
    Provider,
)
from fla_encoders.registry.errors import (
    EncoderLoadError,
    EncoderPluginWarning,
    UnknownEncoderError,
)

__all__ = [
    "BUILTIN_DISTRIBUTION",
    "ENTRY_POINT_GROUP",
    "EncoderLoadError",
    "EncoderOutput",
    "EncoderPluginWarning",
    "EncoderRegistry",
    "FLAEncoderFactory",
    "FLAEncoderStrategy",
    "Provider",
    "UnknownEncoderError",
    "check_output",
]
