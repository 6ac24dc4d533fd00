"""Experiment configurations as data: JSON files, loaded by name or path, overridable.

A configuration is a JSON object whose ``"model"`` object holds ``FLAFinancialModel``'s
arguments except ``n_features`` and ``num_targets`` (they come from the data); ``"data"``
(``fla_encoders.data.config.DataConfig``) and ``"training"`` (``TrainConfig``) are optional::

    {"name": "level2_gated_deltanet", "description": "...",
     "model": {"encoder_name": "gated_deltanet", "hidden_size": 256,
               "encoder_kwargs": {"num_heads": 2, "allow_neg_eigval": true},
               "prediction_hidden": [64, 32], "dropout": 0.1}}

Built-in configurations live in ``fla_encoders/configs/`` (``config_names()`` lists them).
Usage::

    config = load_config("level3_dual", ["model.encoder_kwargs.fusion_mode=concat"])
    model = build_model(config, n_features=734, num_targets=6)
"""

import copy
import json
from pathlib import Path
from typing import Any, Dict, Iterable, List, Union

from fla_encoders.model import FLAFinancialModel

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


def config_names() -> List[str]:
    """The names of the built-in configurations."""
    return sorted(path.stem for path in CONFIG_DIR.glob("*.json"))


def load_config(path_or_name: Union[str, Path], overrides: Iterable[str] = ()) -> Dict[str, Any]:
    """The configuration in a JSON file, or the built-in one of that name, with ``overrides``
    applied (``"dotted.key=value"``, value parsed as JSON, else kept as a string)."""
    path = Path(path_or_name)
    if not path.is_file():
        path = CONFIG_DIR / f"{path_or_name}.json"
        if not path.is_file():
            raise FileNotFoundError(
                f"path_or_name {str(path_or_name)!r} is neither a file nor a built-in "
                f"configuration; built-in: {', '.join(config_names())}"
            )
    config = json.loads(path.read_text())
    if not isinstance(config, dict) or not isinstance(config.get("model"), dict):
        raise ValueError(f"{path}: a configuration is a JSON object with a 'model' object")
    return apply_overrides(config, overrides)


def apply_overrides(config: Dict[str, Any], overrides: Iterable[str]) -> Dict[str, Any]:
    """A copy of ``config`` with each ``"a.b.c=value"`` set (missing objects are created)."""
    config = copy.deepcopy(config)
    for override in overrides:
        key, sep, text = override.partition("=")
        if not sep or not key:
            raise ValueError(f"override {override!r} must look like 'dotted.key=value'")
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        *parents, last = key.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"override {override!r}: {part!r} is not an object")
        node[last] = value
    return config


def scoped_overrides(overrides: Iterable[str], encoder: str) -> List[str]:
    """The overrides that apply to ``encoder``: ``key=value`` (every encoder) and
    ``encoder:key=value`` (that one only, scope removed)."""
    mine = []
    for override in overrides:
        scope, sep, rest = override.partition(":")
        if sep and "=" not in scope:
            if scope == encoder:
                mine.append(rest)
        else:
            mine.append(override)
    return mine


def build_model(config: Dict[str, Any], n_features: int, num_targets: int) -> FLAFinancialModel:
    """The model of ``config['model']`` for data of ``n_features`` and ``num_targets``."""
    return FLAFinancialModel.from_config(config["model"], n_features, num_targets)
