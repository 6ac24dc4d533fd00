"""A long panel of precomputed features and labels: one row per (date, asset).

CSV always; Parquet when pandas and pyarrow are installed. Label columns are those named in
``label_columns``, or by default those whose name starts with ``label``; every other column but
the date and asset columns is a feature. Blank cells are NaN; pairs absent from the file are
absent from the panel.
"""

import csv
from pathlib import Path
from typing import List, Optional, Sequence, Union

import torch

from fla_encoders.data.panel import Panel


def read_rows(path: Path) -> List[dict]:
    """The rows of a CSV or Parquet file as dicts of strings or numbers."""
    if path.suffix == ".parquet":
        try:
            import pandas
        except ImportError as exc:
            raise ValueError(f"path: reading {path} needs pandas and pyarrow installed") from exc
        return pandas.read_parquet(path).to_dict("records")
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def number(value) -> float:
    """A cell as a float; blank or None is NaN."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return float("nan")
    return float(value)


def load_long_panel(
    path: Union[str, Path],
    horizon: int,
    date_column: str = "date",
    asset_column: str = "asset",
    label_columns: Optional[Sequence[str]] = None,
) -> Panel:
    """The panel of a long file at ``path``; ``horizon``: how many dates the labels look ahead."""
    path = Path(path)
    rows = read_rows(path)
    if not rows:
        raise ValueError(f"path: {path} has no rows")
    columns = list(rows[0])
    for name, column in (("date_column", date_column), ("asset_column", asset_column)):
        if column not in columns:
            raise ValueError(f"{name}: {column!r} is not a column of {path}: {columns}")
    keys = (date_column, asset_column)
    if label_columns is None:
        label_columns = [c for c in columns if c.startswith("label") and c not in keys]
    missing = [c for c in label_columns if c not in columns]
    if missing or not label_columns:
        raise ValueError(f"label_columns: {missing or 'none'} not found among {columns}")
    feature_columns = [c for c in columns if c not in keys and c not in label_columns]
    dates = sorted({str(row[date_column]) for row in rows})
    assets = sorted({str(row[asset_column]) for row in rows})
    date_at = {d: i for i, d in enumerate(dates)}
    asset_at = {a: i for i, a in enumerate(assets)}
    features = torch.full((len(dates), len(assets), len(feature_columns)), float("nan"))
    labels = torch.full((len(dates), len(assets), len(label_columns)), float("nan"))
    for row in rows:
        d, n = date_at[str(row[date_column])], asset_at[str(row[asset_column])]
        features[d, n] = torch.tensor([number(row[c]) for c in feature_columns])
        labels[d, n] = torch.tensor([number(row[c]) for c in label_columns])
    return Panel(
        dates=dates,
        assets=assets,
        features=features,
        labels=labels,
        horizon=horizon,
        feature_names=feature_columns,
        target_names=list(label_columns),
    )
