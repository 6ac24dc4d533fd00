"""``transformer``: seed 003's encoder, the attention baseline.

Feature-group embedding with batch norm, then pre-RMSNorm blocks of Multi-Head Latent Attention
(RoPE on q and k) and a SwiGLU feed-forward, a final RMSNorm, pooling (last step by default).
"""

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from fla_encoders.base import FLAEncoderStrategy
from fla_encoders.encoders.checks import check_input, check_step, positive_int
from fla_encoders.encoders.latent_attention import LatentAttention
from fla_encoders.encoders.pooling import Pooling
from fla_encoders.model.init import WeightInitializerMixin
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
    (widths splitting ``H``), concatenated, batch-normed over the tokens."""

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
        self.norm = nn.BatchNorm1d(hidden_size)
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

    def forward(self, x, key_mask=None, past=None) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(x, latents)``; see ``LatentAttention.forward``."""
        attended, latent = self.attn(self.attn_norm(x), key_mask, past)
        x = x + self.dropout(attended)
        return x + self.dropout(self.ffn(self.ffn_norm(x))), latent


class TransformerEncoder(FLAEncoderStrategy, WeightInitializerMixin):
    """``(B, T, F) -> (B, hidden_size)``; seed 003's defaults scaled to ``hidden_size``.

    ``kv_lora_rank`` defaults to ``hidden_size // 2``, ``intermediate_size`` to
    ``4 * hidden_size``, ``feature_groups`` (a count, or sizes summing to F) to ``min(4, F)``.
    ``attention_mask (B, T)`` (1 = token, left padding) masks keys; RoPE is relative, so left
    padding leaves the encoding unchanged (in eval mode). ``step`` needs ``causal=True``.
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
        super().__init__()
        self.n_features = positive_int("n_features", n_features)
        positive_int("hidden_size", hidden_size)
        self.causal = causal
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
        self.pool = Pooling(pooling, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.output_dim = hidden_size
        self.init_weights()

    def hidden(self, x: torch.Tensor, attention_mask=None, past=None):
        """``(h (B, T, H), latents per layer)``; ``past``: each layer's earlier latents."""
        key_mask = None if attention_mask is None else attention_mask.bool()
        h, latents = self.embed(x, attention_mask), []
        for i, block in enumerate(self.blocks):
            h, latent = block(h, key_mask, None if past is None else past[i])
            latents.append(latent)
        return self.norm(h), latents

    def forward(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, Dict[str, Any]]:
        """``x: (B, T, F)`` -> ``(encoded (B, H), extra_info)``."""
        check_input(x, self.n_features, attention_mask)
        h = self.hidden(x, attention_mask)[0]
        return self.dropout(self.pool(h, attention_mask)), {"encoder": self.encoder_name}

    def forward_steps(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        """The encoding of every prefix: ``(B, T, H)`` (causal only: else each step sees all)."""
        check_input(x, self.n_features, attention_mask)
        h = self.hidden(x, attention_mask)[0]
        return self.dropout(self.pool(h, attention_mask, every_step=True))

    def step(self, x_t: torch.Tensor, state: Optional[Dict[str, Any]] = None):
        """One step ``x_t: (B, F)`` -> ``(encoded (B, H), extra_info, state)``; the state keeps
        each layer's latents ``(B, t, kv_lora_rank)``, the MLA cache."""
        if not self.causal:
            raise ValueError("step() needs causal=True: a non-causal encoder has no stream")
        x = check_step(x_t, self.n_features)
        state = state or {"latents": None, "pool": None}
        h, state["latents"] = self.hidden(x, past=state["latents"])
        encoded, state["pool"] = self.pool.step(h[:, 0], state["pool"])
        return self.dropout(encoded), {"encoder": self.encoder_name}, state
