"""The optimizer: AdamW, decaying every parameter (``weight_decay_on="all"``, the default) or
the weight matrices only (``"matrices"``).

With ``"matrices"``, vectors and scalars (biases, norm gains, the mixers' per-head decay
parameters such as GatedDeltaNet's ``A_log`` and ``dt_bias``) are not decayed: pulling a norm's
gain or a decay rate towards zero changes what the layer computes rather than how large its
weights are (docs/evaluation.md, "The recipe", for what it does to the ladder).
"""

from typing import Dict, List

import torch
from torch import nn

from fla_encoders.training.config import TrainConfig


def parameter_groups(model: nn.Module, weight_decay: float, decay_on: str) -> List[Dict]:
    """AdamW's groups over the trainable parameters, each once, in ``model.parameters()``
    order: ``"all"``, one group with ``weight_decay``; ``"matrices"``, the parameters of two or
    more dimensions with ``weight_decay`` and the others with none."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    if decay_on == "all":
        return [{"params": trainable, "weight_decay": weight_decay}]
    return [
        {"params": [p for p in trainable if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in trainable if p.ndim < 2], "weight_decay": 0.0},
    ]


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW at ``config.lr`` over ``parameter_groups`` of ``config``'s decay settings."""
    groups = parameter_groups(model, config.weight_decay, config.weight_decay_on)
    return torch.optim.AdamW(groups, lr=config.lr)
