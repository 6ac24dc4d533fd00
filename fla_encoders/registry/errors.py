"""The errors and the warning the encoder registry raises."""


class UnknownEncoderError(LookupError):
    """No encoder is registered or installed under the requested name."""


class EncoderLoadError(RuntimeError):
    """An encoder could not be loaded: its module failed to import, or it is not an encoder class.

    The original exception is chained as ``__cause__``.
    """


class EncoderPluginWarning(UserWarning):
    """A plugin is broken, or several distributions provide the same encoder name."""
