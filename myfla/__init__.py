"""Pure-PyTorch re-implementation of flash-linear-attention layers (no Triton, no CUDA-only code)."""
from myfla.version import __version__
