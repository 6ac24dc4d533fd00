"""Low-rank projection ``Linear -> activation -> Linear`` (fla.layers.rwkv6.LoRA)."""

from __future__ import annotations

import math

import torch
from torch import nn

from myfla._checks import check_choice

ACTIVATIONS = {None: nn.Identity, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


class LoRA(nn.Module):
    """``x [..., input_dim]`` -> ``lora.2(act(lora.0(x))) [..., output_dim]``.

    Parameters ``lora.0.weight [low_rank_dim, input_dim]``, ``lora.2.weight [output_dim,
    low_rank_dim]`` and ``lora.2.bias [output_dim]`` (with ``bias``), as in fla. Initialised as
    fla: ``lora.0`` zero, ``lora.2`` orthogonal with gain ``0.1 * max(1, sqrt(rank / out))``,
    bias zero.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        low_rank_dim: int,
        bias: bool | None = True,
        activation: str | None = "tanh",
    ):
        super().__init__()
        check_choice("activation", activation, ACTIVATIONS)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.low_rank_dim = low_rank_dim
        self.bias = bias
        self.activation = ACTIVATIONS[activation]()
        self.lora = nn.Sequential(
            nn.Linear(input_dim, low_rank_dim, bias=False),
            self.activation,
            nn.Linear(low_rank_dim, output_dim, bias=bias),
        )
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        nn.init.zeros_(self.lora[0].weight)
        out_dim, rank = self.lora[2].weight.shape
        gain = math.sqrt(rank / out_dim) if rank > out_dim else 1.0
        weight = self.lora[2].weight.float()
        nn.init.orthogonal_(weight, gain=gain * 0.1)
        self.lora[2].weight.copy_(weight)
        if self.lora[2].bias is not None:
            nn.init.zeros_(self.lora[2].bias)

    @torch.no_grad()
    def set_bias_value(self, value) -> None:
        """Set ``lora.2.bias`` to ``value`` (a number or an ``[output_dim]`` tensor)."""
        if self.lora[2].bias is not None:
            self.lora[2].bias.copy_(torch.as_tensor(value).to(self.lora[2].bias))

    def __repr__(self) -> str:
        s = f"{self.__class__.__name__}(input_dim={self.input_dim}, "
        s += f"low_rank_dim={self.low_rank_dim}, output_dim={self.output_dim}"
        return s + (")" if self.bias else f", bias={self.bias})")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lora(x)


__all__ = ["LoRA"]
