"""Where a model trains (``training.device``), and that model seen from the CPU."""

from typing import Any, Dict, Tuple

import torch
from torch import nn

from fla_encoders.training.distributed import Group
from fla_encoders.training.errors import TrainingError


def training_device(name: str, group: Group) -> torch.device:
    """``"cpu"``; ``"cuda"``: this process's GPU (``cuda:<LOCAL_RANK>`` under torchrun, else the
    current one: in a Ray task, the GPU Ray gave it); ``"cuda:<k>"``: that one. A
    ``TrainingError`` for another name, or for a GPU that torch does not see."""
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        device = None
    if device is None or device.type not in ("cpu", "cuda"):
        raise TrainingError(f"training.device must be 'cpu', 'cuda' or 'cuda:<k>', got {name!r}")
    if device.type == "cpu":
        return device
    if not torch.cuda.is_available():
        raise TrainingError(
            f"training.device is {name!r} but torch sees no GPU (a CPU-only torch, or no GPU "
            f"given to this process); use training.device='cpu'"
        )
    if device.index is None and group.size > 1:
        return torch.device("cuda", group.local_rank)
    return device


class OnDevice(nn.Module):
    """``model`` on ``device``, called from the CPU: ``x`` goes there, predictions and tensor
    monitoring values come back (predictions as ``fla_encoders.evaluation.predict`` takes
    them)."""

    def __init__(self, model: nn.Module, device: torch.device):
        super().__init__()
        self.model = model
        self.device = device

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Dict[str, Any]]:
        pred, info = self.model(x.to(self.device))
        return pred.cpu(), {k: v.cpu() if torch.is_tensor(v) else v for k, v in info.items()}
