"""``fla.models.utils``: fla's path for the cache and, with transformers, the generation mixins."""

from myfla.models.cache_utils import Cache, FLACache, FLALayer, TransformersCache

__all__ = ["Cache", "FLACache", "FLALayer"]

if TransformersCache is not None:
    from myfla.models.generation_utils import (
        FLAGenerationMixin,
        FLAUnsupportedCacheGenerationMixin,
    )

    __all__ += ["FLAGenerationMixin", "FLAUnsupportedCacheGenerationMixin"]
