"""The causal depthwise convolution of ShortConvolution as ``W`` shifted multiply-adds, forward
and backward.

``y[t] = sum_w weight[:, w] * x[t - (W - 1 - w)]``, with the ``W - 1`` steps before the first taken
from ``history`` (zeros without one). A short convolution over a few steps is a handful of
element-wise passes; a convolution kernel's call (and its backward) costs more than the
arithmetic there. Written as an autograd function so that the backward is the same passes,
anti-causal, with no zero-filled gradient per shifted slice.
"""

from typing import Optional, Tuple

import torch


def causal_taps(
    x: torch.Tensor, weight: torch.Tensor, history: Optional[torch.Tensor] = None
) -> torch.Tensor:
    """``x: [B, T, D]``, ``weight: [D, W]``, ``history: [B, W - 1, D]`` or ``None`` ->
    ``[B, T, D]``; all in one floating dtype, differentiable in each.
    """
    return _CausalTaps.apply(x, weight, history)


def _shifts(width: int, seq_len: int):
    """``(w, s, n)`` per tap ``w``: its shift ``s = W - 1 - w`` and the ``n = min(s, T)`` first
    outputs that read the history."""
    for w in range(width):
        s = width - 1 - w
        yield w, s, min(s, seq_len)


class _CausalTaps(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, history):
        ctx.save_for_backward(x, weight, history)
        seq_len, width = x.shape[1], weight.shape[1]
        y = x * weight[:, -1]
        for w, s, n in _shifts(width, seq_len):
            if s == 0:
                continue
            if seq_len > s:
                y[:, s:].addcmul_(x[:, :-s], weight[:, w])
            if history is not None and n:
                y[:, :n].addcmul_(history[:, w : w + n], weight[:, w])
        return y

    @staticmethod
    def backward(ctx, grad_y) -> Tuple[Optional[torch.Tensor], ...]:
        x, weight, history = ctx.saved_tensors
        seq_len, width = x.shape[1], weight.shape[1]
        need_x, need_weight, need_history = ctx.needs_input_grad
        grad_x = grad_y * weight[:, -1] if need_x else None
        grad_history = torch.zeros_like(history) if need_history else None
        grad_weight = torch.empty_like(weight) if need_weight else None
        for w, s, n in _shifts(width, seq_len):
            later, earlier = grad_y[:, s:], x[:, : seq_len - s]
            if need_x and s and seq_len > s:
                grad_x[:, :-s].addcmul_(later, weight[:, w])
            if need_history and n:
                grad_history[:, w : w + n].addcmul_(grad_y[:, :n], weight[:, w])
            if need_weight:
                total = torch.einsum("btd,btd->d", later, earlier)
                if history is not None and n:
                    total += torch.einsum("btd,btd->d", grad_y[:, :n], history[:, w : w + n])
                grad_weight[:, w] = total
        return grad_x, grad_weight, grad_history
