"""``fla.models.utils``: fla's path for the cache of :mod:`myfla.models.cache_utils`."""

from myfla.models.cache_utils import Cache, FLACache, FLALayer

__all__ = ["Cache", "FLACache", "FLALayer"]
