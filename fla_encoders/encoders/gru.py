"""``gru``: the GRU baseline that the seeds' IC gains are stated against."""

from typing import Any, Dict, Optional, Tuple

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from fla_encoders.base import FLAEncoderStrategy
from fla_encoders.encoders.checks import check_input, check_step, positive_int
from fla_encoders.encoders.pooling import Pooling, PoolState
from fla_encoders.model.init import WeightInitializerMixin

GRUState = Tuple[torch.Tensor, PoolState]
"""The GRU's hidden state ``(num_layers, B, H)`` and the pooling state."""


def shift_rows(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Roll each row ``x[b]: (T, ...)`` left by ``shift[b]`` steps (negative: right)."""
    t = x.shape[1]
    index = (torch.arange(t, device=x.device)[None] + shift[:, None]) % t
    return x.gather(1, index.view(*index.shape, *[1] * (x.dim() - 2)).expand_as(x))


class GRUEncoder(FLAEncoderStrategy, WeightInitializerMixin):
    """``(B, T, F) -> (B, hidden_size)``: a ``num_layers`` GRU over the raw features, pooled.

    ``attention_mask (B, T)`` (1 = token, left padding) is exact: the padded steps never reach
    the GRU. ``forward_steps`` and ``step`` as for the FLA encoders.
    """

    encoder_name = "gru"

    def __init__(
        self,
        n_features: int,
        hidden_size: int = 256,
        num_layers: int = 2,
        pooling: str = "last",
        dropout: float = 0.1,
    ):
        super().__init__()
        self.n_features = positive_int("n_features", n_features)
        self.gru = nn.GRU(
            n_features,
            positive_int("hidden_size", hidden_size),
            positive_int("num_layers", num_layers),
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.pool = Pooling(pooling, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.output_dim = hidden_size
        self.init_weights()

    def hidden(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(h (B, T, H), h_n (num_layers, B, H))``; zeros at padded steps."""
        if attention_mask is None:
            return self.gru(x)
        lengths = attention_mask.sum(1).long()
        if bool((lengths == 0).any()):
            raise ValueError("attention_mask: every sequence needs at least one token")
        pad = x.shape[1] - lengths
        packed = pack_padded_sequence(
            shift_rows(x, pad), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        h, h_n = self.gru(packed)
        h = pad_packed_sequence(h, batch_first=True, total_length=x.shape[1])[0]
        return shift_rows(h, -pad), h_n

    def forward(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, Dict[str, Any]]:
        """``x: (B, T, F)`` -> ``(encoded (B, H), extra_info)``."""
        check_input(x, self.n_features, attention_mask)
        h, h_n = self.hidden(x, attention_mask)
        return self.dropout(self.pool(h, attention_mask)), self._info(h_n)

    def forward_steps(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        """The encoding of every prefix: ``(B, T, H)``."""
        check_input(x, self.n_features, attention_mask)
        h = self.hidden(x, attention_mask)[0]
        return self.dropout(self.pool(h, attention_mask, every_step=True))

    def step(
        self, x_t: torch.Tensor, state: Optional[GRUState] = None
    ) -> Tuple[torch.Tensor, Dict[str, Any], GRUState]:
        """One step ``x_t: (B, F)`` of a stream -> ``(encoded (B, H), extra_info, state)``."""
        x = check_step(x_t, self.n_features)
        h, h_n = self.gru(x, None if state is None else state[0])
        encoded, pool_state = self.pool.step(h[:, 0], None if state is None else state[1])
        return self.dropout(encoded), self._info(h_n), (h_n, pool_state)

    def _info(self, h_n: torch.Tensor) -> Dict[str, Any]:
        norms = h_n.detach().norm(dim=-1).mean(-1)
        return {
            "encoder": self.encoder_name,
            "state_norm": float(norms.mean()),
            "state_norm_per_layer": norms.tolist(),
        }
