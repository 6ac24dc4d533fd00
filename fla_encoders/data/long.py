"""A long panel of precomputed features and labels: one row per (date, asset).

From a CSV or Parquet file, or a DataFrame (long, with the date and asset as columns or index
levels; Qlib's ``feature``/``label`` column layout included). The date and asset columns are
found by name (``date``/``datetime``/``timestamp`` and ``asset``/``instrument``/``symbol``/
``ticker``, any case) unless named. Label columns are those named in ``label_columns``, else
Qlib's ``label`` group, else those whose name starts with ``label``; every other column is a
feature. Missing cells are NaN; pairs absent from the source are absent from the panel; a
(date, asset) pair given twice is refused.
"""

import datetime
from typing import List, Optional, Sequence

import torch

from fla_encoders.data.cells import asset_names, numbers
from fla_encoders.data.columns import (
    ASSET_NAMES,
    check_names,
    find_column,
    find_date_column,
    label_columns_of,
)
from fla_encoders.data.dates import iso_dates, table_dates
from fla_encoders.data.panel import Panel
from fla_encoders.data.readers import read_table
from fla_encoders.data.table import Table, refuse_repeats


def load_long_panel(
    path,
    horizon: int,
    date_column: Optional[str] = None,
    asset_column: Optional[str] = None,
    label_columns: Optional[Sequence[str]] = None,
    date_format: Optional[str] = None,
    dayfirst: Optional[bool] = None,
) -> Panel:
    """The panel of a long source: ``path`` is a CSV or Parquet file, or a DataFrame.
    ``horizon``: how many dates the labels look ahead. ``date_format`` (strptime codes) or
    ``dayfirst`` settle dates whose day and month the column cannot tell apart."""
    table = read_table(path)
    date_at = find_date_column(table, date_column)
    asset_at = find_column(table, asset_column, "asset_column", ASSET_NAMES)
    check_names(table, unnamed_allowed=[date_at])
    label_at = label_columns_of(table, label_columns, keys=(date_at, asset_at))
    feature_at = [i for i in range(len(table.names)) if i not in (date_at, asset_at, *label_at)]
    if table.n_rows == 0:
        raise table.error("no rows")
    when = table_dates(table, date_at, date_format, dayfirst)
    names = asset_names(table, asset_at)
    refuse_repeats(
        table,
        list(zip(when, names)),
        lambda key: f"date {iso_dates([key[0]])[0]} with asset {key[1]!r}",
    )
    return Panel(
        dates=iso_dates(sorted(set(when))),
        assets=sorted(set(names)),
        features=pair_values(table, when, names, feature_at),
        labels=pair_values(table, when, names, label_at),
        horizon=horizon,
        feature_names=[table.names[c] for c in feature_at],
        target_names=[table.names[c] for c in label_at],
    )


def pair_values(
    table: Table, when: List[datetime.datetime], names: List[str], columns: Sequence[int]
) -> torch.Tensor:
    """``(D, N, C)`` float32: the ``columns`` of each row at its (date, asset), dates and
    assets sorted; NaN where a pair has no row."""
    dates, assets = sorted(set(when)), sorted(set(names))
    date_index = {d: i for i, d in enumerate(dates)}
    asset_index = {a: i for i, a in enumerate(assets)}
    out = torch.full((len(dates), len(assets), len(columns)), float("nan"))
    if columns:
        rows = (
            torch.tensor([date_index[d] for d in when]),
            torch.tensor([asset_index[a] for a in names]),
        )
        out[rows] = torch.stack([numbers(table, c) for c in columns], dim=1).float()
    return out
