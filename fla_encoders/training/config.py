"""Training settings, and ``key=value`` overrides of nested settings from the command line."""

import json
from dataclasses import dataclass, fields
from typing import Any, Dict, Sequence


@dataclass
class TrainConfig:
    """How one model is trained: AdamW, early stopping on the validation IC, clipping, a seed."""

    seed: int = 0
    epochs: int = 20
    lr: float = 1e-3
    weight_decay: float = 1e-4
    patience: int = 3  # epochs without a better validation IC before stopping
    clip_norm: float = 1.0
    checkpoint_every: int = 50  # optimizer steps between mid-epoch checkpoints
    progress: bool = False  # tqdm bars, when tqdm is installed

    @classmethod
    def from_dict(cls, values: Dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"train: unknown settings {unknown}; known: {sorted(known)}")
        return cls(**values)


def parse_value(text: str) -> Any:
    """``"3"`` -> 3, ``"[64, 32]"`` -> [64, 32], ``"true"`` -> True; other text stays a str."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def apply_overrides(config: Dict[str, Any], assignments: Sequence[str]) -> Dict[str, Any]:
    """A copy of ``config`` with each ``"a.b.c=value"`` of ``assignments`` set (JSON values)."""
    result = json.loads(json.dumps(config))
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        if not sep or not key:
            raise ValueError(f"--set: expected key=value, got {assignment!r}")
        *parents, last = key.split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"--set: {key!r} goes through a non-table value")
        node[last] = parse_value(text)
    return result
