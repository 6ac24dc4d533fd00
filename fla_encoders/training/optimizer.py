"""The optimizer: AdamW with weight decay on the weight matrices only.

Vectors and scalars (biases, norm gains, the mixers' per-head decay parameters such as
GatedDeltaNet's ``A_log`` and ``dt_bias``) are not decayed: pulling a norm's gain or a decay
rate towards zero changes what the layer computes instead of how large its weights are, and at
the recipe's strong decay it kept GatedDeltaNet from learning the mock's planted reversal
(docs/evaluation.md, "The recipe").
"""

from typing import Dict, List

import torch
from torch import nn

from fla_encoders.training.config import TrainConfig


def parameter_groups(model: nn.Module, weight_decay: float) -> List[Dict]:
    """AdamW's groups: the parameters of two or more dimensions with ``weight_decay``, the
    others with none (each trainable parameter once, in ``model.parameters()`` order)."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    return [
        {"params": [p for p in trainable if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in trainable if p.ndim < 2], "weight_decay": 0.0},
    ]


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW at ``config.lr`` over ``parameter_groups(model, config.weight_decay)``."""
    return torch.optim.AdamW(parameter_groups(model, config.weight_decay), lr=config.lr)
