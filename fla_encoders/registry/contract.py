"""The encoder contract: what every encoder, built-in or plugin, is and returns.

An encoder is an ``nn.Module`` deriving from ``FLAEncoderStrategy``:

- ``__init__(n_features, hidden_size, ...)`` sets the integer ``self.output_dim``;
- ``forward(x, attention_mask=None) -> (encoded, info)`` with ``x: (B, T, n_features)``,
  ``attention_mask: (B, T)`` (1 = token, 0 = left padding; an encoder that takes no mask may
  leave the argument out, it is then never passed one), ``encoded: (B, output_dim)``;
- ``info``: a dict of monitoring values, possibly empty: strings, numbers, or detached tensors
  of shape ``()`` for one value of the batch (e.g. ``gate_value``), ``(B,)`` for one per
  sequence, other shapes as the encoder documents. Tensors are best: no forward then waits on
  the device; readers convert them.
- ``self.monitoring`` (False unless an evaluation turns it on): encoders with costly monitoring
  values (recurrent-state norms) add them to ``info`` only then.
- ``checks_input`` (False unless the encoder says otherwise): True when ``forward`` itself
  refuses bad input with ``fla_encoders.nn.checks.check_input``, zeroes the padded steps and
  answers ``B = 0`` with ``(0, output_dim)``, as the built-in encoders do. Otherwise the model
  does these at its boundary, before calling the encoder, so that they happen once a forward.

What the model passes: ``x`` finite at every token, ``T >= 1``, zeros at padded steps, and
``attention_mask`` 0/1 left padding with a token per row.
"""

import abc
from typing import Any, Dict, Tuple

import torch
from torch import nn

EncoderOutput = Tuple[torch.Tensor, Dict[str, Any]]


class FLAEncoderStrategy(nn.Module, abc.ABC):
    """An encoder of a batch of sequences: ``x: (B, T, F)`` to ``(encoded, info)``; the
    contract is this module's docstring. This base class cannot be instantiated."""

    output_dim: int
    monitoring: bool = False
    checks_input: bool = False

    @abc.abstractmethod
    def forward(self, x: torch.Tensor) -> EncoderOutput:
        """Encode ``x: (B, T, F)`` into ``(encoded: (B, output_dim), info: dict)``."""


def check_output(name: str, output: Any, batch: int, output_dim: int) -> EncoderOutput:
    """``output`` of encoder ``name`` on a batch of ``batch`` if it keeps the contract, else a
    ``TypeError`` saying what it returned instead."""
    if not (isinstance(output, tuple) and len(output) == 2 and isinstance(output[1], dict)):
        got = type(output).__name__
        if isinstance(output, tuple):
            got = f"a tuple of {len(output)} ({', '.join(type(o).__name__ for o in output)})"
        raise TypeError(f"encoder {name!r} must return (encoded, info: dict), got {got}")
    encoded = output[0]
    if not isinstance(encoded, torch.Tensor) or tuple(encoded.shape) != (batch, output_dim):
        shape = tuple(encoded.shape) if isinstance(encoded, torch.Tensor) else type(encoded)
        raise TypeError(
            f"encoder {name!r} must return encoded of shape (B, output_dim) = "
            f"({batch}, {output_dim}), got {shape}"
        )
    return output
