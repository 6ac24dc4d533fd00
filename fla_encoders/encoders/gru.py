"""``gru``: the GRU baseline that the ladder's IC gains are measured against."""

from typing import Any, Dict, Optional, Tuple

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from fla_encoders.encoders.pooled import PooledEncoder
from fla_encoders.nn.checks import positive_int


def shift_rows(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Roll each row ``x[b]: (T, ...)`` left by ``shift[b]`` steps (negative: right)."""
    t = x.shape[1]
    index = (torch.arange(t, device=x.device)[None] + shift[:, None]) % t
    return x.gather(1, index.view(*index.shape, *[1] * (x.dim() - 2)).expand_as(x))


class GRUEncoder(PooledEncoder):
    """``(B, T, F) -> (B, hidden_size)``: a ``num_layers`` GRU over the raw features, pooled.

    ``attention_mask (B, T)`` (1 = token, left padding) is exact: the padded steps never reach
    the GRU. Monitoring adds ``state_norm`` (mean over layers and sequences of the final hidden
    state's norm) and ``state_norm_per_layer``.
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
        super().__init__(n_features)
        self.gru = nn.GRU(
            n_features,
            positive_int("hidden_size", hidden_size),
            positive_int("num_layers", num_layers),
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.finish(hidden_size, pooling, dropout)

    def hidden_states(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor]
    ) -> Tuple[torch.Tensor, Dict[str, Any]]:
        """``h (B, T, H)``, zeros at padded steps."""
        if attention_mask is None:
            h, h_n = self.gru(x)
        else:
            lengths = attention_mask.sum(1).long()
            pad = x.shape[1] - lengths
            packed = pack_padded_sequence(
                shift_rows(x, pad), lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            h, h_n = self.gru(packed)
            h = pad_packed_sequence(h, batch_first=True, total_length=x.shape[1])[0]
            h = shift_rows(h, -pad)
        if not self.monitoring:
            return h, {}
        norms = h_n.detach().norm(dim=-1).mean(-1)  # (num_layers,)
        return h, {"state_norm": norms.mean(), "state_norm_per_layer": norms}
