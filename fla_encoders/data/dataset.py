"""Windows of a panel, batched by date, and the chronological splits with a gap."""

import copy
from typing import Any, Dict, List, Optional, Sequence

import torch

from fla_encoders.data.normalize import cross_sectional, fill_missing
from fla_encoders.data.panel import Panel


def prepared_arrays(
    features: torch.Tensor,
    labels: torch.Tensor,
    feature_norm: str,
    label_norm: str,
    flag_missing: bool,
) -> Dict[str, torch.Tensor]:
    """The arrays of a ``PreparedPanel`` of ``features: (D, N, F)`` and ``labels: (D, N, K)``, any
    run of a panel's dates (each date is normalised on its own): ``present``, ``inputs``,
    ``targets`` and ``labels``."""
    present = torch.isfinite(features).any(dim=2)
    return {
        "present": present,
        "inputs": fill_missing(cross_sectional(features, present, feature_norm), flag_missing),
        "targets": cross_sectional(labels, present, label_norm),
        "labels": torch.where(present[..., None], labels, float("nan")),
    }


class PreparedPanel:
    """A panel normalised once per date (see fla_encoders.data.normalize), shared by splits.

    ``inputs: (D, N, F')`` (``F' = 2F`` with ``flag_missing``), finite; ``targets: (D, N, K)``
    normalised labels for the loss and ``labels: (D, N, K)`` raw labels for the IC, NaN where
    missing; ``present: (D, N)``. Tensors, or arrays read from disk as they are indexed
    (``from_arrays``, fla_encoders.data.store).
    """

    def __init__(
        self,
        panel: Panel,
        feature_norm: str = "zscore",
        label_norm: str = "zscore",
        flag_missing: bool = False,
    ):
        self.panel = panel
        arrays = prepared_arrays(
            panel.features, panel.labels, feature_norm, label_norm, flag_missing
        )
        self.present, self.inputs = arrays["present"], arrays["inputs"]
        self.targets, self.labels = arrays["targets"], arrays["labels"]

    @classmethod
    def from_arrays(cls, panel: Any, arrays: Dict[str, Any]) -> "PreparedPanel":
        """A panel prepared already: ``arrays`` holds ``present``, ``inputs``, ``targets`` and
        ``labels`` (tensors or arrays indexed as tensors); ``panel`` its dates, assets, names,
        horizons and signal."""
        prepared = cls.__new__(cls)
        prepared.panel = panel
        prepared.present, prepared.inputs = arrays["present"], arrays["inputs"]
        prepared.targets, prepared.labels = arrays["targets"], arrays["labels"]
        return prepared

    @property
    def n_features(self) -> int:
        return self.inputs.shape[2]

    @property
    def num_targets(self) -> int:
        return self.targets.shape[2]


class BatchTimeSeriesDataset(torch.utils.data.Dataset):
    """Windows ``(T, F)`` ending on the given dates, one batch per ``dates_per_batch`` dates.

    Item ``i`` holds every asset present on each of its dates (whole dates only, so the daily
    cross-sectional IC can be computed): ``x: (B, T, F)``, ``y: (B, K)`` normalised targets and
    ``label: (B, K)`` raw labels (NaN where missing), ``date: (B,)`` and ``asset: (B,)`` indices
    into the panel. The window of date ``d`` covers dates ``d-T+1 .. d``.
    """

    def __init__(
        self,
        prepared: PreparedPanel,
        end_dates: Sequence[int],
        window: int,
        dates_per_batch: int = 1,
    ):
        if window < 1:
            raise ValueError(f"window: expected >= 1, got {window}")
        if dates_per_batch < 1:
            raise ValueError(f"dates_per_batch: expected >= 1, got {dates_per_batch}")
        n_dates = prepared.inputs.shape[0]
        for d in end_dates:
            if not window - 1 <= d < n_dates:
                raise ValueError(
                    f"end_dates: {d} is outside [{window - 1}, {n_dates}) for window {window}"
                )
        self.prepared = prepared
        self.window = window
        dates = [int(d) for d in end_dates if prepared.present[d].any()]
        self.batches = [
            dates[i : i + dates_per_batch] for i in range(0, len(dates), dates_per_batch)
        ]

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index: int) -> Dict[str, torch.Tensor]:
        return self.batch_of(self.batches[index])

    def batch_of(self, dates: Sequence[int]) -> Optional[Dict[str, torch.Tensor]]:
        """The batch of the whole ``dates``, in that order, as an item holds them; None for no
        dates."""
        parts = [self.one_date(d) for d in dates]
        if not parts:
            return None
        return {key: torch.cat([part[key] for part in parts]) for key in parts[0]}

    def shard(self, rank: int, size: int) -> "BatchTimeSeriesDataset":
        """The batches ``rank, rank + size, ...``: process ``rank``'s share in a group of
        ``size``; the dataset itself when ``size`` is 1."""
        if size == 1:
            return self
        part = copy.copy(self)
        part.batches = self.batches[rank::size]
        return part

    def one_date(self, d: int) -> Dict[str, torch.Tensor]:
        p = self.prepared
        assets = torch.nonzero(p.present[d]).flatten()
        x = p.inputs[d - self.window + 1 : d + 1, assets].transpose(0, 1)  # (n, T, F)
        return {
            "x": x,
            "y": p.targets[d, assets],
            "label": p.labels[d, assets],
            "date": torch.full((len(assets),), d, dtype=torch.long),
            "asset": assets,
        }


def chronological_splits(
    n_dates: int,
    window: int,
    horizon: int,
    fractions: Sequence[float] = (0.6, 0.2, 0.2),
) -> Dict[str, List[int]]:
    """End dates of ``train``, ``valid`` and ``test`` windows, in that order in time.

    Usable end dates run from ``window - 1`` (a full window) to ``n_dates - 1 - horizon`` (a full
    label). They are cut by ``fractions``, then the first ``horizon`` dates of valid and of test
    are dropped: a label of date ``d`` uses dates up to ``d + horizon``, so every label of a split
    is known on the first end date of the next one, and no two splits' labels share a date.
    """
    if len(fractions) != 3 or any(f <= 0 for f in fractions):
        raise ValueError(f"fractions: expected three positive numbers, got {fractions}")
    usable = list(range(window - 1, n_dates - horizon))
    total = sum(fractions)
    cut1 = round(len(usable) * fractions[0] / total)
    cut2 = round(len(usable) * (fractions[0] + fractions[1]) / total)
    splits = {
        "train": usable[:cut1],
        "valid": usable[cut1 + horizon : cut2],
        "test": usable[cut2 + horizon :],
    }
    for name, dates in splits.items():
        if not dates:
            raise ValueError(
                f"n_dates: {n_dates} dates leave no {name} dates with window {window}, "
                f"horizon {horizon} and fractions {tuple(fractions)}"
            )
    return splits
