"""L2Wrap (``fla.modules.l2warp``): the loss unchanged, plus a gradient that pulls the largest
logit of each token towards zero, which keeps bfloat16 models from growing overconfident."""

import torch


class L2Wrap(torch.autograd.Function):
    """``forward(loss, logits [B, T, V], factor)`` returns ``loss``; backward adds
    ``factor / (B * T) * max(logits)`` to the gradient of each token's largest logit."""

    @staticmethod
    def forward(ctx, loss: torch.Tensor, logits: torch.Tensor, l2_penalty_factor: float = 1e-4):
        top, index = logits.max(dim=-1, keepdim=True)
        ctx.shape = logits.shape
        factor = l2_penalty_factor / (logits.shape[0] * logits.shape[1])
        ctx.save_for_backward(top * factor, index)
        return loss

    @staticmethod
    def backward(ctx, grad_loss: torch.Tensor):
        scaled_top, index = ctx.saved_tensors
        grad_logits = scaled_top.new_zeros(ctx.shape)
        grad_logits.scatter_(-1, index, scaled_top * grad_loss)
        return grad_loss, grad_logits, None


def l2_warp(loss: torch.Tensor, logits: torch.Tensor, l2_penalty_factor: float = 1e-4):
    """``loss``, with L2Wrap's extra gradient on ``logits [B, T, V]``."""
    return L2Wrap.apply(loss, logits, l2_penalty_factor)


__all__ = ["L2Wrap", "l2_warp"]
