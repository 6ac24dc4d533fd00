"""RWKV7's output correction and gate (``fla.ops.rwkv7.gate_output_correction``)."""

import torch


def gate_output_correction(
    o: torch.Tensor,
    r: torch.Tensor,
    k: torch.Tensor,
    r_k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
) -> torch.Tensor:
    """``(o + sum_d(r * k * r_k) v) * g`` per head.

    ``o, g: [B, T, H * V]``; ``r, k: [B, T, H, K]``; ``r_k: [H, K]``; ``v: [B, T, H, V]``.
    Returns ``[B, T, H * V]``.
    """
    if r_k.dim() != 2 or tuple(r_k.shape) != tuple(r.shape[-2:]):
        raise ValueError(
            f"r_k must have shape [H, K] = {list(r.shape[-2:])}, got {list(r_k.shape)}"
        )
    bonus = (r * k * r_k).sum(-1, keepdim=True) * v
    return (o + bonus.reshape(o.shape)) * g


gate_output_correction_ref = gate_output_correction
