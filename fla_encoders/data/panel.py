"""The panel every data source produces: dates x assets x features, with forward labels."""

from dataclasses import dataclass
from typing import List, Optional

import torch

from fla_encoders.data.dates import increasing_dates


@dataclass
class Panel:
    """A panel of ``D`` dates, ``N`` assets, ``F`` features and ``K`` targets.

    ``dates``: ISO 8601 strings (``2024-01-31``, or ``2024-01-31T09:30:00`` with times of day),
    strictly increasing; given as dates, datetimes or text of one format, they are stored so.
    ``assets``: distinct names. ``features``: ``(D, N, F)`` and ``labels``: ``(D, N, K)``,
    float32, NaN where missing. An asset is in the panel on a date when at least one of its
    features is finite there (assets enter and leave over time). ``labels[d]`` look forward
    from date ``d`` by at most ``horizon`` dates, so a split needs a gap of ``horizon`` dates
    to keep them out of later inputs.
    """

    dates: List[str]
    assets: List[str]
    features: torch.Tensor
    labels: torch.Tensor
    horizon: int
    feature_names: List[str]
    target_names: List[str]
    signal: Optional[torch.Tensor] = None
    """``(D, N, K)``: the planted part of each label of a synthetic panel (what a model knowing
    every planted signal would predict), else None."""
    target_horizons: Optional[List[int]] = None
    """How many dates each target looks ahead (default: ``horizon`` for every target)."""

    def __post_init__(self):
        self.dates = increasing_dates(self.dates, "dates")
        self.assets = [str(asset) for asset in self.assets]
        if len(set(self.assets)) != len(self.assets):
            repeated = next(a for i, a in enumerate(self.assets) if a in self.assets[:i])
            raise ValueError(f"assets: {repeated!r} appears twice; expected distinct names")
        d, n = len(self.dates), len(self.assets)
        if self.features.dim() != 3 or self.features.shape[:2] != (d, n):
            raise ValueError(
                f"features: expected shape ({d}, {n}, F), got {tuple(self.features.shape)}"
            )
        if self.labels.dim() != 3 or self.labels.shape[:2] != (d, n):
            raise ValueError(
                f"labels: expected shape ({d}, {n}, K), got {tuple(self.labels.shape)}"
            )
        if len(self.feature_names) != self.features.shape[2]:
            raise ValueError("feature_names: expected one name per feature")
        if len(self.target_names) != self.labels.shape[2]:
            raise ValueError("target_names: expected one name per target")
        if self.horizon < 1:
            raise ValueError(f"horizon: expected >= 1, got {self.horizon}")
        if self.target_horizons is None:
            self.target_horizons = [self.horizon] * len(self.target_names)
        if len(self.target_horizons) != len(self.target_names) or not all(
            1 <= h <= self.horizon for h in self.target_horizons
        ):
            raise ValueError(
                f"target_horizons: expected one value in [1, {self.horizon}] per target, got "
                f"{self.target_horizons}"
            )

    @property
    def present(self) -> torch.Tensor:
        """``(D, N)`` bool: the asset has at least one finite feature on that date."""
        return torch.isfinite(self.features).any(dim=2)
