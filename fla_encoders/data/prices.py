"""A user's prices: a wide table (a date column, one column per asset) to a panel.

From a CSV or Parquet file, or a DataFrame (dates as index or column, one column per asset).
The date column is found by name (``date``/``datetime``/``timestamp``, any case; an unnamed
first column, the index ``to_csv`` writes, too) unless named; rows are put in chronological
order, a date given twice is refused.

Features of date ``d`` (an Alpha360-like layout, price and return history over ``lookback``
dates, normalised by the current price): ``log(p[d-j] / p[d])`` for ``j = 1..lookback`` and the
daily log returns ``log(p[d-j] / p[d-j-1])`` for ``j = 0..lookback-1``. They use prices up to
date ``d`` only. Labels: ``log(p[d+h] / p[d])`` for each horizon ``h``. A missing or non-positive
price is NaN and makes every value that needs it NaN (no forward filling).
"""

from typing import List, Optional, Sequence, Tuple

import torch

from fla_encoders.data.cells import numbers
from fla_encoders.data.columns import check_names, find_date_column
from fla_encoders.data.dates import iso_dates, table_dates
from fla_encoders.data.panel import Panel
from fla_encoders.data.readers import read_table
from fla_encoders.data.table import Table, refuse_repeats


def wide_prices(
    table: Table,
    date_column: Optional[str] = None,
    date_format: Optional[str] = None,
    dayfirst: Optional[bool] = None,
) -> Tuple[List[str], List[str], torch.Tensor]:
    """``(dates, assets, prices: (D, N) float64)`` of a wide table, dates in order."""
    date_at = find_date_column(table, date_column)
    check_names(table, unnamed_allowed=[date_at])
    asset_at = [i for i in range(len(table.names)) if i != date_at]
    if table.n_rows == 0:
        raise table.error("no rows")
    if not asset_at:
        raise table.error("no asset columns beside the date column")
    when = table_dates(table, date_at, date_format, dayfirst)
    refuse_repeats(table, when, lambda day: f"date {iso_dates([day])[0]}")
    order = sorted(range(len(when)), key=when.__getitem__)
    prices = torch.stack([numbers(table, i) for i in asset_at], dim=1)[order]
    return iso_dates([when[r] for r in order]), [table.names[i] for i in asset_at], prices


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


def load_prices(
    path,
    date_column: Optional[str] = None,
    lookback: int = 20,
    horizons: Sequence[int] = (1, 5),
    date_format: Optional[str] = None,
    dayfirst: Optional[bool] = None,
) -> Panel:
    """``price_panel`` of a wide source: ``path`` is a CSV or Parquet file, or a DataFrame.
    ``date_format`` (strptime codes) or ``dayfirst`` settle dates whose day and month the
    column cannot tell apart."""
    dates, assets, prices = wide_prices(read_table(path), date_column, date_format, dayfirst)
    return price_panel(dates, assets, prices, lookback, horizons)


load_price_csv = load_prices  # the name before frames and Parquet were read
