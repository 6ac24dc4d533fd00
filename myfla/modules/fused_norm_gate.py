"""``fla.modules.fused_norm_gate``: fla's older path for the names of
:mod:`myfla.modules.norm.fused_norm_gate`."""

from myfla.modules.norm.fused_norm_gate import *  # noqa: F403
from myfla.modules.norm.fused_norm_gate import __all__ as __all__
