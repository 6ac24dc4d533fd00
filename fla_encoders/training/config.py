"""Training settings: the ``"training"`` section of an experiment configuration."""

from dataclasses import dataclass, fields
from typing import Any, Dict, Optional

WEIGHT_DECAY_ON = ("all", "matrices")  # the parameters AdamW decays (training.optimizer)


@dataclass
class TrainConfig:
    """How one model is trained: AdamW, early stopping on the validation IC, clipping, a seed."""

    seed: int = 0
    epochs: int = 15
    lr: float = 1e-3
    weight_decay: float = 3.0  # AdamW's decoupled decay; strong: daily ICs are weak signals
    weight_decay_on: str = "all"  # or "matrices": not biases, norm gains, decay parameters
    patience: int = 4  # epochs without a better validation IC before stopping
    clip_norm: float = 1.0
    checkpoint_every: int = 50  # optimizer steps between mid-epoch checkpoints
    progress: bool = False  # tqdm bars, when tqdm is installed
    threads: Optional[int] = None  # torch CPU threads; part of the run: results depend on it
    device: str = "cpu"  # "cuda": this process's GPU (fla_encoders.training.device)

    def __post_init__(self):
        if self.weight_decay_on not in WEIGHT_DECAY_ON:
            raise ValueError(
                f"training.weight_decay_on: {self.weight_decay_on!r}; expected one of "
                f"{list(WEIGHT_DECAY_ON)}"
            )

    @classmethod
    def from_dict(cls, values: Dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"train: unknown settings {unknown}; known: {sorted(known)}")
        return cls(**values)
