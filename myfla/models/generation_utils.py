"""transformers' ``generate`` for myfla's models (``fla.models.generation_utils``)."""

from transformers.generation import GenerationMixin


class FLAGenerationMixin(GenerationMixin):
    """``generate`` with myfla's per-layer :class:`~myfla.models.cache_utils.Cache`.

    transformers must not hand the model a ``DynamicCache``: the model's first forward makes its
    own cache, which ``generate`` then carries from step to step.
    """

    @classmethod
    def _supports_default_dynamic_cache(cls) -> bool:
        return False


class FLAUnsupportedCacheGenerationMixin(FLAGenerationMixin):
    """As :class:`FLAGenerationMixin`; a decoding strategy that edits ``past_key_values`` in a way
    a recurrent state cannot follow fails with a message that says so."""

    def generate(self, *args, **kwargs):
        try:
            return super().generate(*args, **kwargs)
        except AttributeError as error:
            if "past_key_values" not in str(error):
                raise
            raise AttributeError(
                f"this decoding strategy changes past_key_values in a way that "
                f"{type(self).__name__}'s recurrent cache does not support; use another one "
                f"(greedy, sampling or beam search): {error}"
            ) from error


__all__ = ["FLAGenerationMixin", "FLAUnsupportedCacheGenerationMixin"]
