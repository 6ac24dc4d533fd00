"""``FLAFinancialModel``: input -> encoder (by name) -> prediction head -> ``(B, num_targets)``."""

import inspect
from typing import Any, Dict, Optional, Sequence

import torch
from torch import nn

from fla_encoders.model.head import PredictionHead
from fla_encoders.nn.checks import prepare_input
from fla_encoders.registry import EncoderOutput, FLAEncoderFactory, check_output

DATA_ARGUMENTS = ("n_features", "num_targets")


class FLAFinancialModel(nn.Module):
    """Forecast ``num_targets`` values from a window ``x: (B, T, n_features)``.

    The encoder is ``FLAEncoderFactory.create(encoder_name, n_features=..., hidden_size=...,
    **encoder_kwargs)``, any registered one, third-party included; ``dropout`` also goes to it
    when it takes a ``dropout`` argument and ``encoder_kwargs`` does not set one. The head is
    ``PredictionHead(encoder.output_dim, prediction_hidden, num_targets, dropout=dropout)``.
    Built-in encoders and the head are initialised by ``WeightInitializerMixin``; a third-party
    encoder keeps its own initialisation.

    Bad input (a shape, ``T = 0``, a mask that is not 0/1 left padding, NaN or Inf at a token)
    is a ``ValueError`` naming ``x`` or ``attention_mask``, whichever the encoder; ``B = 0``
    gives ``(0, num_targets)``; what the encoder returns is checked against the contract.
    """

    def __init__(
        self,
        n_features: int,
        num_targets: int,
        encoder_name: str = "gated_deltanet",
        hidden_size: int = 256,
        encoder_kwargs: Optional[Dict[str, Any]] = None,
        prediction_hidden: Sequence[int] = (64, 32),
        dropout: float = 0.1,
    ):
        super().__init__()
        kwargs = dict(encoder_kwargs or {})
        for argument in ("n_features", "hidden_size"):
            if argument in kwargs:
                raise ValueError(
                    f"encoder_kwargs must not set {argument!r}: it is FLAFinancialModel's own "
                    f"argument {argument}"
                )
        cls = FLAEncoderFactory.get(encoder_name)
        if "dropout" not in kwargs and "dropout" in inspect.signature(cls).parameters:
            kwargs["dropout"] = dropout
        self.encoder = FLAEncoderFactory.create(
            encoder_name, n_features=n_features, hidden_size=hidden_size, **kwargs
        )
        self.head = PredictionHead(
            self.encoder.output_dim, list(prediction_hidden), num_targets, dropout=dropout
        )
        self.encoder_name = encoder_name
        self.n_features = n_features
        self.num_targets = num_targets

    @classmethod
    def from_config(
        cls, model_config: Dict[str, Any], n_features: int, num_targets: int
    ) -> "FLAFinancialModel":
        """``FLAFinancialModel(n_features, num_targets, **model_config)``, keys checked."""
        known = set(inspect.signature(cls).parameters) - set(DATA_ARGUMENTS)
        unknown = sorted(set(model_config) - known)
        if unknown:
            raise ValueError(
                f"config['model'] has unknown keys {unknown}; known: {', '.join(sorted(known))}"
            )
        return cls(n_features, num_targets, **model_config)

    def forward(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor] = None
    ) -> EncoderOutput:
        """``x: (B, T, n_features)`` -> ``(predictions (B, num_targets), info)``, ``info`` the
        encoder's; ``attention_mask (B, T)`` goes to the encoder if given. An encoder that does
        not check its input (``checks_input``) gets it checked, padding zeroed, and is not
        called on an empty batch."""
        if not self.encoder.checks_input:
            x = prepare_input(x, self.n_features, attention_mask)
            if not len(x):
                return x.new_zeros((0, self.num_targets)), {}
        masked = {} if attention_mask is None else {"attention_mask": attention_mask}
        output = self.encoder(x, **masked)
        encoded, info = check_output(self.encoder_name, output, x.shape[0], self.encoder.output_dim)
        return self.head(encoded), info
