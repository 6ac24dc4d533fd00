"""``transformer``: the attention baseline.

Feature-group embedding with batch norm, then pre-RMSNorm blocks of Multi-Head Latent Attention
(RoPE on q and k) and a SwiGLU feed-forward, a final RMSNorm, pooling (last step by default).
"""

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from fla_encoders.encoders.pooled import PooledEncoder
from fla_encoders.nn.checks import positive_int
from fla_encoders.nn.latent_attention import LatentAttention
from fla_encoders.nn.norms import FiniteBatchNorm1d
from myfla.modules import RMSNorm


def group_sizes(n_features: int, feature_groups: Union[int, Sequence[int]]) -> List[int]:
    """Contiguous group sizes: given as a list summing to ``n_features``, or a number of groups
    of near-equal size."""
    if isinstance(feature_groups, int):
        count = positive_int("feature_groups", feature_groups)
        if count > n_features:
            raise ValueError(f"feature_groups={count} must be at most n_features={n_features}")
        return [n_features // count + (i < n_features % count) for i in range(count)]
    sizes = [positive_int("feature_groups[i]", size) for size in feature_groups]
    if sum(sizes) != n_features:
        raise ValueError(f"feature_groups must sum to n_features={n_features}, got {sizes}")
    return sizes


class FeatureGroupEmbedding(nn.Module):
    """``(B, T, F) -> (B, T, H)``: each contiguous feature group gets its own linear embedding
    (widths splitting ``H``), concatenated, batch-normed over the tokens (running statistics
    kept finite, ``FiniteBatchNorm1d``)."""

    def __init__(self, n_features: int, hidden_size: int, feature_groups, dropout: float):
        super().__init__()
        self.sizes = group_sizes(n_features, feature_groups)
        if len(self.sizes) > hidden_size:
            raise ValueError(
                f"feature_groups gives {len(self.sizes)} groups, more than "
                f"hidden_size={hidden_size}"
            )
        count = len(self.sizes)
        widths = [hidden_size // count + (i < hidden_size % count) for i in range(count)]
        self.groups = nn.ModuleList(nn.Linear(s, w) for s, w in zip(self.sizes, widths))
        self.norm = FiniteBatchNorm1d(hidden_size)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Batch statistics (training) come from the tokens of ``mask (B, T)`` only."""
        parts = torch.split(x, self.sizes, dim=-1)
        e = torch.cat([group(part) for group, part in zip(self.groups, parts)], -1)
        flat = e.reshape(-1, e.shape[-1])
        if mask is None:
            flat = self.norm(flat)
        else:
            tokens = mask.reshape(-1).bool()
            flat = flat.masked_scatter(tokens[:, None], self.norm(flat[tokens]))
        return self.dropout(flat.view_as(e))


class SwiGLU(nn.Module):
    """``w2(silu(w1 x) * w3 x)``: ``(..., H) -> (..., H)`` through ``intermediate_size``."""

    def __init__(self, hidden_size: int, intermediate_size: int):
        super().__init__()
        positive_int("intermediate_size", intermediate_size)
        self.w1 = nn.Linear(hidden_size, intermediate_size, bias=False)
        self.w3 = nn.Linear(hidden_size, intermediate_size, bias=False)
        self.w2 = nn.Linear(intermediate_size, hidden_size, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class TransformerBlock(nn.Module):
    """``x + attn(norm(x))``, then ``x + ffn(norm(x))``."""

    def __init__(self, hidden_size: int, attention: LatentAttention, ffn: SwiGLU, dropout, eps):
        super().__init__()
        self.attn_norm = RMSNorm(hidden_size, eps=eps)
        self.attn = attention
        self.ffn_norm = RMSNorm(hidden_size, eps=eps)
        self.ffn = ffn
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, key_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``x: (B, T, H)``; ``key_mask: (B, T)`` bool, True for a token."""
        x = x + self.dropout(self.attn(self.attn_norm(x), key_mask))
        return x + self.dropout(self.ffn(self.ffn_norm(x)))


class TransformerEncoder(PooledEncoder):
    """``(B, T, F) -> (B, hidden_size)``: pre-RMSNorm blocks of Multi-Head Latent Attention and
    SwiGLU over a feature-group embedding, a final RMSNorm, pooling (last step by default).

    ``kv_lora_rank`` defaults to ``hidden_size // 2``, ``intermediate_size`` to
    ``4 * hidden_size``, ``feature_groups`` (a count, or sizes summing to F) to ``min(4, F)``.
    ``attention_mask (B, T)`` (1 = token, left padding) masks keys; RoPE is relative, so left
    padding leaves the encoding unchanged (in eval mode).
    """

    encoder_name = "transformer"

    def __init__(
        self,
        n_features: int,
        hidden_size: int = 256,
        num_layers: int = 2,
        num_heads: int = 4,
        kv_lora_rank: Optional[int] = None,
        v_head_dim: Optional[int] = None,
        intermediate_size: Optional[int] = None,
        rope_theta: float = 10000.0,
        causal: bool = True,
        feature_groups: Union[int, Sequence[int], None] = None,
        pooling: str = "last",
        dropout: float = 0.1,
        norm_eps: float = 1e-6,
    ):
        super().__init__(n_features)
        positive_int("hidden_size", hidden_size)
        groups = min(4, n_features) if feature_groups is None else feature_groups
        self.embed = FeatureGroupEmbedding(n_features, hidden_size, groups, dropout)
        self.blocks = nn.ModuleList(
            TransformerBlock(
                hidden_size,
                LatentAttention(
                    hidden_size,
                    num_heads,
                    hidden_size // 2 if kv_lora_rank is None else kv_lora_rank,
                    v_head_dim,
                    rope_theta,
                    causal,
                    norm_eps,
                ),
                SwiGLU(
                    hidden_size, 4 * hidden_size if intermediate_size is None else intermediate_size
                ),
                dropout,
                norm_eps,
            )
            for _ in range(positive_int("num_layers", num_layers))
        )
        self.norm = RMSNorm(hidden_size, eps=norm_eps)
        self.finish(hidden_size, pooling, dropout)

    def hidden_states(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor]
    ) -> Tuple[torch.Tensor, Dict[str, Any]]:
        """``h (B, T, H)``."""
        key_mask = None if attention_mask is None else attention_mask.bool()
        h = self.embed(x, attention_mask)
        for block in self.blocks:
            h = block(h, key_mask)
        return self.norm(h), {}
