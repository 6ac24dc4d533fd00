"""Cells as numbers or asset names, with the errors that name them.

A number is a decimal (``1.5``, ``-2e-3``), or missing: blank, ``None``, NaN, or one of the
markers pandas reads as missing (``MISSING``). It must be finite and fit float32. An asset name
is any cell but a blank one or None, as text.
"""

import math
from typing import List

import torch

from fla_encoders.data.table import Table

MISSING = frozenset(
    [
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    ]
)  # pandas.read_csv's default na_values
FLOAT32_MAX = float(torch.finfo(torch.float32).max)


def number(cell) -> float:
    """The value of one cell, NaN where missing; ValueError saying why it is not a number."""
    if cell is None:
        return math.nan
    if isinstance(cell, str):
        text = cell.strip()
        if text in MISSING:
            return math.nan
        if "_" not in text:  # float() takes "1_000"; a CSV number does not
            try:
                return float(text)
            except ValueError:
                pass
        raise ValueError(f"{cell!r} is not a number")
    if isinstance(cell, (int, float)):
        return float(cell)
    raise ValueError(f"expected a number, got {type(cell).__name__} {cell!r}")


def numbers(table: Table, column: int) -> torch.Tensor:
    """``(R,)`` float64: the column's cells as numbers, NaN where missing; refuses (naming the
    row) a cell that is not a number, infinite, or beyond float32's range."""
    cells = table.columns[column]
    if hasattr(cells, "dtype"):  # a float64 array from a frame
        values = torch.from_numpy(cells)
    else:
        converted = []
        for row, cell in enumerate(cells):
            try:
                converted.append(number(cell))
            except ValueError as exc:
                raise table.error(str(exc), row, column) from None
        values = torch.tensor(converted, dtype=torch.float64)
    too_large = values.abs() > FLOAT32_MAX
    if too_large.any():
        row = int(torch.nonzero(too_large)[0])
        value = float(values[row])
        why = (
            "is not finite"
            if math.isinf(value)
            else f"does not fit float32 (|x| <= {FLOAT32_MAX:.4g})"
        )
        raise table.error(f"{value!r} {why}; write a blank or NaN for a missing value", row, column)
    return values


def asset_names(table: Table, column: int) -> List[str]:
    """The column's cells as asset names: text stripped, integral numbers as digits; refuses a
    blank one."""
    names = []
    for row, cell in enumerate(table.columns[column]):
        if isinstance(cell, float) and cell.is_integer():
            cell = int(cell)
        text = "" if cell is None or cell != cell else str(cell).strip()
        if not text:
            raise table.error("missing; every row needs an asset", row, column)
        names.append(text)
    return names
