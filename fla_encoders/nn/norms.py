"""Normalisation layers whose running statistics stay finite."""

import torch
from torch import nn


class FiniteBatchNorm1d(nn.BatchNorm1d):
    """``nn.BatchNorm1d`` whose running statistics keep their last finite values: a training
    batch holding NaN or Inf normalises as ``nn.BatchNorm1d`` does (its outputs are not finite)
    but leaves in the running mean and variance only what stayed finite, channel by channel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x: (N, C)`` or ``(N, C, L)``, as ``nn.BatchNorm1d``."""
        if not (self.training and self.track_running_stats):
            return super().forward(x)
        kept = self.running_mean, self.running_var
        # batch_norm updates copies in place (autograd may keep them); the buffers then take
        # the copies' finite values
        self.running_mean, self.running_var = kept[0].clone(), kept[1].clone()
        try:
            out = super().forward(x)
            updated = self.running_mean, self.running_var
        finally:
            self.running_mean, self.running_var = kept
        with torch.no_grad():
            for buffer, new in zip(kept, updated):
                buffer.copy_(torch.where(torch.isfinite(new), new, buffer))
        return out
