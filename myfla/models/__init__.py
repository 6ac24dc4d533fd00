"""Model-level utilities (``fla.models``): the per-layer inference cache."""

from myfla.models.cache_utils import Cache, FLACache, FLALayer

__all__ = ["Cache", "FLACache", "FLALayer"]
