"""``fla.modules.convolution``: fla's older path for the names of
:mod:`myfla.modules.causal_conv1d`."""

from myfla.modules.causal_conv1d import *  # noqa: F403
from myfla.modules.causal_conv1d import __all__ as __all__
