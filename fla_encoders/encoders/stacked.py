"""The FLA encoders' one implementation: branches of myfla blocks, pooling, optional fusion.

``rwkv7``, ``gated_deltanet`` and ``gla`` are one branch; ``dual`` is two, fused.
"""

from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import nn

from fla_encoders.base import FLAEncoderStrategy
from fla_encoders.encoders.blocks import Branch, MixerFactory
from fla_encoders.encoders.checks import check_input, check_step, positive_int
from fla_encoders.encoders.fusion import Fusion
from fla_encoders.model.init import WeightInitializerMixin
from myfla.models import Cache

StreamState = List[Dict[str, Any]]
"""Per branch: its layers' ``cache`` and its pooling state."""


def state_norms(cache: Cache, prefix: str) -> Dict[str, Any]:
    """Mean Frobenius norm over sequences of each layer's recurrent state, and their mean."""
    norms = [
        float(layer["recurrent_state"].detach().flatten(1).norm(dim=1).mean())
        for layer in cache
        if layer is not None and layer["recurrent_state"] is not None
    ]
    if not norms:
        return {}
    return {f"{prefix}state_norm": sum(norms) / len(norms), f"{prefix}state_norm_per_layer": norms}


class StackedEncoder(FLAEncoderStrategy, WeightInitializerMixin):
    """``x: (B, T, F) -> (B, output_dim)`` through one branch per entry of ``mixers``.

    Each branch: ``Linear(F, H)``, ``num_layers`` pre-norm blocks (mixer from ``mixers[name]``,
    then a channel MLP), RMSNorm, pooling. Two branches are fused by ``fusion_mode``. Besides
    ``forward``: ``forward_steps`` encodes every prefix in one pass, ``step`` one time step of a
    stream; both agree with ``forward`` on the same prefix.
    """

    encoder_name = ""

    def __init__(
        self,
        n_features: int,
        hidden_size: int,
        num_layers: int,
        mixers: Dict[str, MixerFactory],
        fusion_mode: Optional[str] = None,
        pooling: str = "last",
        dropout: float = 0.1,
        mlp_ratio: int = 2,
        norm_eps: float = 1e-5,
    ):
        super().__init__()
        self.n_features = positive_int("n_features", n_features)
        self.branches = nn.ModuleDict(
            (
                name,
                Branch(
                    n_features,
                    hidden_size,
                    num_layers,
                    mixer,
                    pooling,
                    mlp_ratio,
                    dropout,
                    norm_eps,
                ),
            )
            for name, mixer in mixers.items()
        )
        self.fusion = None if fusion_mode is None else Fusion(fusion_mode, hidden_size)
        self.output_dim = hidden_size if self.fusion is None else self.fusion.output_dim
        self.dropout = nn.Dropout(dropout)
        self.init_weights()

    def forward(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, Dict[str, Any]]:
        """``x: (B, T, F)``, ``attention_mask: (B, T)`` 1 = token, left padding ->
        ``(encoded (B, output_dim), extra_info)``."""
        check_input(x, self.n_features, attention_mask)
        pooled, info = [], {"encoder": self.encoder_name}
        for name, branch in self.branches.items():
            cache = Cache()
            pooled.append(branch.pool(branch(x, attention_mask, cache), attention_mask))
            info.update(state_norms(cache, self._prefix(name)))
        return self._combine(pooled, info)

    def forward_steps(
        self, x: torch.Tensor, attention_mask: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        """The encoding of every prefix ``x[:, :t + 1]``: ``(B, T, output_dim)``, one pass."""
        check_input(x, self.n_features, attention_mask)
        pooled = [
            branch.pool(branch(x, attention_mask), attention_mask, every_step=True)
            for branch in self.branches.values()
        ]
        return self._combine(pooled, {})[0]

    def step(
        self, x_t: torch.Tensor, state: Optional[StreamState] = None
    ) -> Tuple[torch.Tensor, Dict[str, Any], StreamState]:
        """Feed one step ``x_t: (B, F)`` of a stream (``state=None`` starts one) ->
        ``(encoded (B, output_dim), extra_info, state)``, the encoding of the stream so far."""
        x = check_step(x_t, self.n_features)
        if state is None:
            state = [{"cache": Cache(), "pool": None} for _ in self.branches]
        pooled, info = [], {"encoder": self.encoder_name}
        for (name, branch), branch_state in zip(self.branches.items(), state):
            h = branch(x, cache=branch_state["cache"])[:, 0]
            encoded, branch_state["pool"] = branch.pool.step(h, branch_state["pool"])
            pooled.append(encoded)
            info.update(state_norms(branch_state["cache"], self._prefix(name)))
        encoded, info = self._combine(pooled, info)
        return encoded, info, state

    def _prefix(self, branch: str) -> str:
        return f"{branch}_" if len(self.branches) > 1 else ""

    def _combine(
        self, pooled: List[torch.Tensor], info: Dict[str, Any]
    ) -> Tuple[torch.Tensor, Dict[str, Any]]:
        if self.fusion is None:
            return self.dropout(pooled[0]), info
        fused, gate = self.fusion(*pooled)
        if gate is not None:
            per_sample = gate.detach().flatten(1).mean(1)
            info.update(gate_value=float(per_sample.mean()), gate_value_per_sample=per_sample)
        return self.dropout(fused), info
