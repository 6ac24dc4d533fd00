"""The gated feed-forward block of fla's models (``fla.modules.mlp``): ``GatedMLP``."""

from __future__ import annotations

import torch
from torch import nn

from myfla._checks import check_choice
from myfla.modules.activations import swiglu, swiglu_linear

# fla also accepts "powlu" (its PowGLU kernel); myfla implements the SwiGLU form only.
HIDDEN_ACTS = ("swish",)


def gated_mlp_size(
    hidden_size: int, hidden_ratio: int | None, intermediate_size: int | None
) -> int:
    """fla's default width: ``2/3 * hidden_ratio * hidden_size`` (ratio 4) rounded up to 256."""
    if intermediate_size is not None:
        return intermediate_size
    width = int(hidden_size * (4 if hidden_ratio is None else hidden_ratio) * 2 / 3)
    return 256 * ((width + 255) // 256)


class SwiGLULinear(nn.Module):
    """``forward(x, y, weight, bias)`` = ``linear(swish(x) * y, weight, bias)``."""

    def forward(self, x, y, weight, bias):
        return swiglu_linear(x, y, weight, bias)


class GatedMLP(nn.Module):
    """``x [..., hidden_size]`` -> ``down_proj(swish(gate_proj(x)) * up_proj(x))``, same shape.

    ``fuse_swiglu`` (fla's fused kernel) computes the same product and keeps fla's module tree.
    """

    def __init__(
        self,
        hidden_size: int,
        hidden_ratio: int | None = None,
        intermediate_size: int | None = None,
        hidden_act: str = "swish",
        fuse_swiglu: bool = True,
        powglu_power: float = 3.0,
    ) -> None:
        super().__init__()
        check_choice("hidden_act", hidden_act, HIDDEN_ACTS)
        self.hidden_size = hidden_size
        self.hidden_ratio = 4 if hidden_ratio is None else hidden_ratio
        self.intermediate_size = gated_mlp_size(hidden_size, hidden_ratio, intermediate_size)
        self.hidden_act = hidden_act
        self.fuse_swiglu = fuse_swiglu
        self.powglu_power = powglu_power
        self.gate_proj = nn.Linear(hidden_size, self.intermediate_size, bias=False)
        self.up_proj = nn.Linear(hidden_size, self.intermediate_size, bias=False)
        self.down_proj = nn.Linear(self.intermediate_size, hidden_size, bias=False)
        if fuse_swiglu:
            self.swiglu_linear = SwiGLULinear()

    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        gate, y = self.gate_proj(x), self.up_proj(x)
        if self.fuse_swiglu:
            return self.swiglu_linear(gate, y, self.down_proj.weight, self.down_proj.bias)
        return self.down_proj(swiglu(gate, y))


__all__ = ["GatedMLP", "SwiGLULinear", "gated_mlp_size"]
