"""The version shared by both distributions, myfla and fla-encoders (the only place it is written)."""

__version__ = "0.1.0"
