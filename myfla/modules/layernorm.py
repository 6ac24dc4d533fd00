"""``fla.modules.layernorm``: fla's older path for the names of
:mod:`myfla.modules.norm.layernorm`."""

from myfla.modules.norm.layernorm import *  # noqa: F403
from myfla.modules.norm.layernorm import __all__ as __all__
