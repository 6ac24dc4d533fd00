"""A user's prices: a wide CSV (a date column, one column per asset) to a panel.

Features of date ``d`` (an Alpha360-like layout, price and return history over ``lookback``
dates, normalised by the current price): ``log(p[d-j] / p[d])`` for ``j = 1..lookback`` and the
daily log returns ``log(p[d-j] / p[d-j-1])`` for ``j = 0..lookback-1``. They use prices up to
date ``d`` only. Labels: ``log(p[d+h] / p[d])`` for each horizon ``h``. A missing or non-positive
price is NaN and makes every value that needs it NaN (no forward filling).
"""

import csv
from pathlib import Path
from typing import Sequence, Union

import torch

from fla_encoders.data.panel import Panel


def read_wide_csv(path: Union[str, Path], date_column: str = "date"):
    """``(dates, assets, prices: (D, N) float64)`` from a wide CSV; blanks are NaN."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise ValueError(f"path: {path} is empty")
    header = rows[0]
    if date_column not in header:
        raise ValueError(f"date_column: {date_column!r} is not a column of {path}: {header}")
    date_at = header.index(date_column)
    assets = [name for i, name in enumerate(header) if i != date_at]
    dates, values = [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ValueError(
                f"path: {path} line {line} has {len(row)} fields, expected {len(header)}"
            )
        dates.append(row[date_at])
        values.append(
            [float(v) if v.strip() else float("nan") for i, v in enumerate(row) if i != date_at]
        )
    if dates != sorted(dates):
        raise ValueError(f"path: the dates of {path} are not in increasing order")
    return dates, assets, torch.tensor(values, dtype=torch.float64).reshape(len(dates), len(assets))


def price_panel(
    dates: Sequence[str],
    assets: Sequence[str],
    prices: torch.Tensor,
    lookback: int = 20,
    horizons: Sequence[int] = (1, 5),
) -> Panel:
    """The panel of ``prices: (D, N)``: ``2 * lookback`` features, one label per horizon."""
    if lookback < 1:
        raise ValueError(f"lookback: expected >= 1, got {lookback}")
    if not horizons or min(horizons) < 1:
        raise ValueError(f"horizons: expected positive integers, got {horizons}")
    logp = torch.where(prices > 0, prices.log(), torch.full_like(prices, float("nan")))
    n_dates = logp.shape[0]

    def shifted(by: int) -> torch.Tensor:
        """``logp[d - by]`` at row ``d`` (``by`` may be negative), NaN outside the data."""
        out = torch.full_like(logp, float("nan"))
        if by >= 0:
            out[by:] = logp[: n_dates - by]
        else:
            out[:by] = logp[-by:]
        return out

    history = [shifted(j) - logp for j in range(1, lookback + 1)]
    returns = [shifted(j) - shifted(j + 1) for j in range(lookback)]
    labels = [shifted(-h) - logp for h in horizons]
    return Panel(
        dates=list(dates),
        assets=list(assets),
        features=torch.stack(history + returns, dim=2).float(),
        labels=torch.stack(labels, dim=2).float(),
        horizon=max(horizons),
        feature_names=[f"logp_lag{j}" for j in range(1, lookback + 1)]
        + [f"ret_lag{j}" for j in range(lookback)],
        target_names=[f"fwd_ret_{h}" for h in horizons],
        target_horizons=list(horizons),
    )


def load_price_csv(
    path: Union[str, Path],
    date_column: str = "date",
    lookback: int = 20,
    horizons: Sequence[int] = (1, 5),
) -> Panel:
    """``price_panel`` of the wide CSV at ``path``."""
    dates, assets, prices = read_wide_csv(path, date_column)
    return price_panel(dates, assets, prices, lookback, horizons)
