"""Pure-PyTorch re-implementation of flash-linear-attention layers, with no Triton."""
from myfla.version import __version__ as __version__
