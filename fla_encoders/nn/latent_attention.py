"""Multi-Head Latent Attention (K and V from one compressed latent) with rotary positions."""

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from fla_encoders.nn.checks import head_dim_for, positive_int
from myfla.modules import RMSNorm


def rotate(x: torch.Tensor, positions: torch.Tensor, theta: float) -> torch.Tensor:
    """RoPE of ``x: (B, T, heads, d)`` at ``positions: (T,)``: pairs ``(x[2i], x[2i+1])`` turn
    by ``position * theta ** (-2i / d)``."""
    d = x.shape[-1]
    freqs = theta ** (-torch.arange(0, d, 2, device=x.device, dtype=torch.float32) / d)
    angles = positions.to(torch.float32)[:, None] * freqs
    cos, sin = (f(angles)[None, :, None, :].to(x.dtype) for f in (torch.cos, torch.sin))
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1).flatten(-2)


class LatentAttention(nn.Module):
    """``x: (B, T, H) -> (B, T, H)``. K and V come from one latent ``(B, T, kv_lora_rank)``
    (compressed, RMS-normed, up-projected); RoPE on q and k only; causal unless told."""

    def __init__(
        self,
        hidden_size: int,
        num_heads: int,
        kv_lora_rank: int,
        v_head_dim: Optional[int],
        rope_theta: float,
        causal: bool,
        norm_eps: float,
    ):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = head_dim_for(hidden_size, num_heads)
        if self.head_dim % 2:
            raise ValueError(
                f"hidden_size // num_heads = {self.head_dim} must be even (RoPE turns pairs)"
            )
        self.v_head_dim = self.head_dim if v_head_dim is None else v_head_dim
        positive_int("v_head_dim", self.v_head_dim)
        if not rope_theta > 0:
            raise ValueError(f"rope_theta must be positive, got {rope_theta!r}")
        self.rope_theta = float(rope_theta)
        self.causal = causal
        rank = positive_int("kv_lora_rank", kv_lora_rank)
        self.q_proj = nn.Linear(hidden_size, num_heads * self.head_dim, bias=False)
        self.kv_compress = nn.Linear(hidden_size, rank, bias=False)
        self.kv_norm = RMSNorm(rank, eps=norm_eps)
        self.k_up = nn.Linear(rank, num_heads * self.head_dim, bias=False)
        self.v_up = nn.Linear(rank, num_heads * self.v_head_dim, bias=False)
        self.o_proj = nn.Linear(num_heads * self.v_head_dim, hidden_size, bias=False)

    def forward(self, x: torch.Tensor, key_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``x: (B, T, H)`` -> ``(B, T, H)``; ``key_mask: (B, T)`` bool, True for a token."""
        b, t, _ = x.shape
        latent = self.kv_norm(self.kv_compress(x))
        positions = torch.arange(t, device=x.device)
        q = rotate(self.q_proj(x).view(b, t, self.num_heads, -1), positions, self.rope_theta)
        k = rotate(self.k_up(latent).view(b, t, self.num_heads, -1), positions, self.rope_theta)
        v = self.v_up(latent).view(b, t, self.num_heads, -1)
        mask = None if key_mask is None else self._mask(key_mask, positions)
        o = F.scaled_dot_product_attention(
            q.transpose(1, 2),
            k.transpose(1, 2),
            v.transpose(1, 2),
            attn_mask=mask,
            is_causal=mask is None and self.causal and t > 1,
        )
        return self.o_proj(o.transpose(1, 2).reshape(b, t, -1))

    def _mask(self, key_mask: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """``(B, 1, T, T)`` bool: causal (unless told otherwise) and masked keys; a padded query
        sees itself, so that no row is empty."""
        same = positions[None, :] == positions[:, None]
        allowed = positions[None, :] <= positions[:, None] if self.causal else torch.ones_like(same)
        return (allowed[None] & key_mask[:, None, :] | same)[:, None]
