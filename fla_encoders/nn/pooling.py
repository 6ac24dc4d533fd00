"""Pooling of per-step hidden states ``(B, T, H)`` into one vector per sequence ``(B, H)``."""

from typing import Optional

import torch
from torch import nn

from fla_encoders.nn.checks import choice

POOLINGS = ("last", "mean", "attention")


class Pooling(nn.Module):
    """``last`` step, masked ``mean``, or ``attention`` (a learned score, softmax over steps).

    Masks are ``(B, T)``, 1 for a token and 0 for padding (left padding, as in fla); ``last``
    therefore needs no mask. Padded steps are left out by selection: whatever they hold (NaN
    included) reaches no output.
    """

    def __init__(self, mode: str, hidden_size: int):
        super().__init__()
        self.mode = choice("pooling", mode, POOLINGS)
        self.score = nn.Linear(hidden_size, 1) if mode == "attention" else None

    def forward(self, h: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``h: (B, T, H)``, ``mask: (B, T)`` -> ``(B, H)``."""
        if self.mode == "last":
            return h[:, -1]
        tokens = None if mask is None else mask.bool()
        if tokens is not None:
            h = h.masked_fill(~tokens[..., None], 0.0)
        if self.mode == "mean":
            count = h.shape[1] if tokens is None else tokens.sum(1, keepdim=True).clamp_min(1)
            return h.sum(1) / count
        scores = self.score(h).squeeze(-1)
        if tokens is not None:
            scores = scores.masked_fill(~tokens, torch.finfo(h.dtype).min)
        return torch.einsum("bt,bth->bh", scores.softmax(-1), h)
