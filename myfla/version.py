"""The version of both distributions, myfla and fla-encoders: the one place it is written."""

__version__ = "0.1.0"
