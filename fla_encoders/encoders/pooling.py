"""Pooling of per-step hidden states ``(B, T, H)`` into one vector per sequence ``(B, H)``."""

from typing import Optional, Tuple

import torch
from torch import nn

from fla_encoders.encoders.checks import choice

POOLINGS = ("last", "mean", "attention")

PoolState = Optional[Tuple[torch.Tensor, ...]]


class Pooling(nn.Module):
    """``last`` step, masked ``mean``, or ``attention`` (a learned score, softmax over steps).

    Masks are ``(B, T)``, 1 for a token and 0 for padding (left padding, as in fla); ``last``
    therefore needs no mask. ``every_step=True`` pools every prefix at once: ``(B, T, H)``.
    """

    def __init__(self, mode: str, hidden_size: int):
        super().__init__()
        self.mode = choice("pooling", mode, POOLINGS)
        self.score = nn.Linear(hidden_size, 1) if mode == "attention" else None

    def forward(
        self, h: torch.Tensor, mask: Optional[torch.Tensor] = None, every_step: bool = False
    ) -> torch.Tensor:
        """``h: (B, T, H)``, ``mask: (B, T)`` -> ``(B, H)``, or ``(B, T, H)`` if ``every_step``."""
        if self.mode == "last":
            return h if every_step else h[:, -1]
        m = h.new_ones(h.shape[:2]) if mask is None else mask.to(h.dtype)
        if self.mode == "mean":
            if every_step:
                return (h * m[..., None]).cumsum(1) / m.cumsum(1).clamp_min(1)[..., None]
            return (h * m[..., None]).sum(1) / m.sum(1).clamp_min(1)[..., None]
        scores = self.score(h).squeeze(-1).masked_fill(m == 0, torch.finfo(h.dtype).min)
        if not every_step:
            return torch.einsum("bt,bth->bh", scores.softmax(-1), h)
        t = h.shape[1]
        future = torch.ones(t, t, dtype=torch.bool, device=h.device).triu(1)
        weights = scores[:, None, :].expand(-1, t, -1).masked_fill(future, -torch.inf)
        return weights.softmax(-1) @ h

    def step(self, h_t: torch.Tensor, state: PoolState = None) -> Tuple[torch.Tensor, PoolState]:
        """Add one step ``h_t: (B, H)``; ``(pooled (B, H), state)`` equal to pooling the prefix."""
        if self.mode == "last":
            return h_t, None
        if self.mode == "mean":
            total, count = (h_t, 1.0) if state is None else (state[0] + h_t, state[1] + 1.0)
            return total / count, (total, count)
        score = self.score(h_t)  # an online softmax: running max, denominator, numerator
        if state is None:
            top, den, num = score, torch.ones_like(score), h_t
        else:
            top = torch.maximum(state[0], score)
            old, new = (state[0] - top).exp(), (score - top).exp()
            den, num = state[1] * old + new, state[2] * old + h_t * new
        return num / den, (top, den, num)
