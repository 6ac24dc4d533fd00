"""pandas in and out: a DataFrame as a ``Table`` (its index levels as columns), and frames
written to Parquet or CSV.

Index levels become columns first (an unnamed integer index, such as the default one, is
dropped; another unnamed single index is an unnamed first column, as ``to_csv`` writes it).
Columns with two levels are Qlib's layout: ``feature`` and ``label`` at the top.
"""

from pathlib import Path
from typing import List, Sequence, Tuple

from fla_encoders.data.errors import PanelFormatError
from fla_encoders.data.table import Table

QLIB_GROUPS = ("feature", "label")


def index_columns(frame) -> List[Tuple[str, object]]:
    """``(name, values)`` of the index levels that carry data."""
    import pandas

    index = frame.index
    if index.nlevels > 1:
        return [
            (str(name) if name is not None else f"level_{i}", index.get_level_values(i))
            for i, name in enumerate(index.names)
        ]
    if index.name is None and pandas.api.types.is_integer_dtype(index.dtype):
        return []
    return [("" if index.name is None else str(index.name), index)]


def data_columns(frame, source: str) -> Tuple[List[str], dict]:
    """The names of the frame's columns and their Qlib groups (empty without two levels)."""
    if frame.columns.nlevels == 1:
        return [str(name).strip() for name in frame.columns], {}
    top = sorted({str(group) for group in frame.columns.get_level_values(0)})
    if frame.columns.nlevels > 2 or not set(top) <= set(QLIB_GROUPS):
        raise PanelFormatError(
            f"{source}: columns of several levels must be Qlib's layout, two levels with "
            f"{' and '.join(QLIB_GROUPS)} at the top; got {frame.columns.nlevels} levels, top {top}"
        )
    names = [str(name).strip() for _, name in frame.columns]
    return names, {name: str(group) for (group, _), name in zip(frame.columns, names)}


def cells_of(values) -> Sequence:
    """A column's cells: a float64 array for numbers (NaN where missing), else a list of
    values with None where missing (dates as ``datetime``)."""
    import pandas

    series = pandas.Series(values)
    if pandas.api.types.is_numeric_dtype(series.dtype):  # booleans included
        return series.to_numpy(dtype="float64", na_value=float("nan"), copy=True)
    missing = series.isna().tolist()
    cells = series.tolist()
    return [None if gone else cell for cell, gone in zip(cells, missing)]


def frame_table(frame, source: str) -> Table:
    """The table of a DataFrame; rows are named by position (``row 0`` is ``frame.iloc[0]``)."""
    names, groups = data_columns(frame, source)
    indexed = index_columns(frame)
    return Table(
        source,
        [name for name, _ in indexed] + names,
        [cells_of(values) for _, values in indexed]
        + [cells_of(frame.iloc[:, i]) for i in range(frame.shape[1])],
        lambda row: f"row {row}",
        groups,
    )


def write_frame(frame, path: Path) -> None:
    """``frame`` written to ``path``: Parquet (``.parquet``) or CSV (``.csv``)."""
    if path.suffix.lower() == ".parquet":
        frame.to_parquet(path)
    elif path.suffix.lower() == ".csv":
        frame.to_csv(path)
    else:
        raise ValueError(f"path: expected a .parquet or .csv file, got {path}")
