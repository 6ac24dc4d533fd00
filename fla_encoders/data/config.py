"""Data settings: the ``"data"`` section of an experiment configuration."""

from dataclasses import dataclass, field, fields
from typing import Any, Dict, List

from fla_encoders.data.dataset import BatchTimeSeriesDataset, PreparedPanel, chronological_splits
from fla_encoders.data.sources import load_panel
from fla_encoders.data.store import NORMALISATION, open_store


@dataclass
class DataConfig:
    """Where the panel comes from (``source`` and its ``options``: see ``load_panel``, or
    ``"store"`` with ``{"path": ...}``, a panel store, fla_encoders.data.store), how it is
    normalised, the window length, the dates per training batch and the split fractions."""

    source: str = "mock"
    options: Dict[str, Any] = field(default_factory=dict)
    window: int = 5
    feature_norm: str = "zscore"
    label_norm: str = "zscore"
    flag_missing: bool = False
    dates_per_batch: int = 4
    fractions: List[float] = field(default_factory=lambda: [0.6, 0.2, 0.2])

    @classmethod
    def from_dict(cls, values: Dict[str, Any]) -> "DataConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"data: unknown settings {unknown}; known: {sorted(known)}")
        return cls(**values)


def build_datasets(config: DataConfig) -> Dict[str, BatchTimeSeriesDataset]:
    """``{"train", "valid", "test"}`` datasets of the configured panel; evaluation splits hold
    one date per batch."""
    prepared = prepared_panel(config)
    panel = prepared.panel
    splits = chronological_splits(len(panel.dates), config.window, panel.horizon, config.fractions)
    return {
        name: BatchTimeSeriesDataset(
            prepared, dates, config.window, config.dates_per_batch if name == "train" else 1
        )
        for name, dates in splits.items()
    }


def prepared_panel(config: DataConfig) -> PreparedPanel:
    """The configured panel, normalised: a store read lazily (its normalisation checked to be
    the configuration's), or a source's panel loaded and normalised here."""
    if config.source == "store":
        options = dict(config.options)
        if set(options) != {"path"}:
            raise ValueError(f"source 'store': its one option is path, got {sorted(options)}")
        return open_store(options["path"], **{key: getattr(config, key) for key in NORMALISATION})
    panel = load_panel(config.source, **config.options)
    return PreparedPanel(panel, config.feature_norm, config.label_norm, config.flag_missing)
