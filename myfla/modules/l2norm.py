"""``fla.modules.l2norm``: fla's older path for the names of
:mod:`myfla.modules.norm.l2norm`."""

from myfla.modules.norm.l2norm import *  # noqa: F403
from myfla.modules.norm.l2norm import __all__ as __all__
