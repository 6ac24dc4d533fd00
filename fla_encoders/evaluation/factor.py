"""The tables quants read of a prediction used as a factor: alphalens' information table of the
daily IC, and Qlib's long-short view (top minus bottom quantile, its annualised return, Sharpe
ratio, maximum drawdown and turnover).

Inputs are the evaluation's long rows (``Predictions``): ``pred``, ``label`` ``(M,)`` or
``(M, K)`` (one column per target), ``date`` ``(M,)``, and for turnover ``asset`` ``(M,)``;
numpy arrays or torch tensors. Rows whose prediction or label is not finite are left out.
"""

import math
from typing import Any, Dict, List, Optional, Sequence

import torch

from fla_encoders.evaluation.gain import long_run_variance
from fla_encoders.evaluation.metrics import daily_ic
from fla_encoders.evaluation.optional import missing_stats

try:
    import numpy as np
    from scipy import stats
except ImportError as exc:  # the optional extra fla-encoders[stats]
    raise missing_stats(exc) from exc

PERIODS_PER_YEAR = 252
RISK = ("mean", "annualized_return", "annualized_volatility", "sharpe", "max_drawdown")
INFORMATION_LABELS = {
    "ic_mean": "IC Mean",
    "ic_std": "IC Std.",
    "risk_adjusted_ic": "Risk-Adjusted IC",
    "t_stat": "t-stat(IC)",
    "p_value": "p-value(IC)",
    "ic_skew": "IC Skew",
    "ic_kurtosis": "IC Kurtosis",
    "t_stat_hac": "t-stat(IC, HAC)",
    "p_value_hac": "p-value(IC, HAC)",
}
"""Our keys and alphalens' row names (the last two are ours: see ``information_table``)."""


def information_table(ic: Any) -> Dict[str, float]:
    """alphalens' information table of a daily IC series (NaN dates skipped): mean, std
    (ddof 1), risk-adjusted IC = mean / std, ``scipy.stats.ttest_1samp`` against 0, skew and
    (Fisher, bias-uncorrected) kurtosis as ``scipy.stats`` computes them; plus ``n_dates`` and a
    t-stat and p-value whose standard error is the EWC long-run variance of the series (t with
    its cosines as df), which stay honest when overlapping labels make the daily ICs serially
    correlated and alphalens' t-stat overstates."""
    ic = np.asarray(ic, dtype=float)
    ic = ic[np.isfinite(ic)]
    table = dict.fromkeys(["n_dates", *INFORMATION_LABELS], math.nan)
    table["n_dates"] = ic.size
    if ic.size < 2:
        table["ic_mean"] = float(ic.mean()) if ic.size else math.nan
        return table
    std = float(np.std(ic, ddof=1))
    test = stats.ttest_1samp(ic, 0.0)
    table.update(
        ic_mean=float(ic.mean()),
        ic_std=std,
        risk_adjusted_ic=float(ic.mean()) / std if std > 0 else math.nan,
        t_stat=float(test.statistic),
        p_value=float(test.pvalue),
        ic_skew=float(stats.skew(ic)),
        ic_kurtosis=float(stats.kurtosis(ic)),
    )
    if ic.size >= 3:
        lrv = long_run_variance(ic)
        if lrv.value > 0:
            t_hac = float(ic.mean()) / math.sqrt(lrv.value / ic.size)
            table["t_stat_hac"] = t_hac
            table["p_value_hac"] = float(2 * stats.t.sf(abs(t_hac), lrv.cosines))
    return table


def plain(values: Any) -> "np.ndarray":
    """A numpy array of a sequence, numpy array or torch tensor."""
    return np.asarray(values.detach().cpu() if torch.is_tensor(values) else values)


def columns(values: Any) -> "np.ndarray":
    """``(M, K)`` float64 of ``(M,)`` or ``(M, K)`` numbers."""
    array = plain(values).astype(float)
    return array[:, None] if array.ndim == 1 else array


def information_tables(
    pred: Any, label: Any, date: Any, target_names: Optional[Sequence[str]] = None
) -> Dict[str, Dict[str, Dict[str, float]]]:
    """Per target (``target_names``, default ``target0..``): ``{"ic": table, "rank_ic":
    table}``, the information tables of the daily IC and Rank IC (``metrics.daily_ic``;
    alphalens' own IC is the Rank IC). ``date``: any values that sort (panel indices,
    datetimes as alphalens' frame gives them, ISO strings)."""
    pred, label = columns(pred), columns(label)
    names = list(target_names or [f"target{k}" for k in range(pred.shape[1])])
    if pred.shape != label.shape or pred.shape[1] != len(names):
        raise ValueError(
            f"pred, label: expected (M, {len(names)}) each, got {pred.shape} and {label.shape}"
        )
    dates = torch.as_tensor(np.unique(plain(date), return_inverse=True)[1].ravel())
    out = {}
    for k, name in enumerate(names):
        series = daily_ic(torch.from_numpy(pred[:, k]), torch.from_numpy(label[:, k]), dates)
        out[name] = {kind: information_table(series[kind].numpy()) for kind in ("ic", "rank_ic")}
    return out


def quantile_members(pred: "np.ndarray", quantiles: int) -> List["np.ndarray"]:
    """``[bottom, top]``: the positions of the ``len(pred) // quantiles`` lowest and highest
    predictions, ranked by prediction and, among equal ones, by position (earlier is lower)."""
    size = len(pred) // quantiles
    order = np.argsort(pred, kind="stable")
    return [order[:size], order[len(order) - size :]]


def turnover(members: List[Optional[set]]) -> float:
    """The mean, over consecutive dates with a portfolio, of the share of a date's members
    that were not members the date before (alphalens' quantile turnover)."""
    shares = [
        len(now - before) / len(now)
        for before, now in zip(members, members[1:])
        if before is not None and now is not None
    ]
    return float(np.mean(shares)) if shares else math.nan


def long_short(
    pred: Any,
    label: Any,
    date: Any,
    asset: Any = None,
    quantiles: int = 5,
    horizon: int = 1,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> Dict[str, Any]:
    """The long-short view of one target: per date, the equal-weighted mean label of the top
    ``1 / quantiles`` of the assets by prediction (``long``) minus that of the bottom one
    (``short``); each side holds ``floor(n / quantiles)`` of the date's ``n`` assets with a
    finite prediction and label (ties: see ``quantile_members``; no portfolio, NaN, when that
    is 0). ``label`` is a ``horizon``-date forward return, so the dates' portfolios overlap;
    each is held as ``1 / horizon`` of the capital for its ``horizon`` dates, so the return per
    date is ``long_short / horizon``.

    ``summary``: ``mean`` (of ``long_short``, per ``horizon`` dates), ``annualized_return`` =
    ``periods_per_year * mean / horizon``, ``annualized_volatility`` = ``std(long_short)
    sqrt(periods_per_year / horizon)``, ``sharpe`` their ratio, ``max_drawdown`` the lowest
    fall (<= 0) of the cumulative sum of ``long_short / horizon`` from its running peak, the
    start (0) included; ``turnover_long``, ``turnover_short`` (``turnover``; NaN without
    ``asset``) and their mean ``turnover``. With ``horizon = 1`` these are Qlib's
    ``risk_analysis`` (mode "sum") of the long-short return, which Qlib's
    ``calc_long_short_return`` halves and we do not."""
    pred, label = columns(pred)[:, 0], columns(label)[:, 0]
    date, ids = plain(date), None if asset is None else plain(asset)
    if quantiles < 2 or horizon < 1:
        raise ValueError(f"quantiles >= 2, horizon >= 1 expected, got {quantiles}, {horizon}")
    days, long, short = np.unique(date), [], []
    members: Dict[str, List[Optional[set]]] = {"short": [], "long": []}
    for day in days:
        rows = np.flatnonzero((date == day) & np.isfinite(pred) & np.isfinite(label))
        sides = quantile_members(pred[rows], quantiles)
        if len(sides[0]) == 0:
            long.append(math.nan)
            short.append(math.nan)
            continue
        short.append(float(label[rows[sides[0]]].mean()))
        long.append(float(label[rows[sides[1]]].mean()))
        if ids is not None:
            for side, positions in zip(("short", "long"), sides):
                members[side].append(set(ids[rows[positions]].tolist()))
    spread = np.array(long) - np.array(short)
    summary = risk(spread[np.isfinite(spread)], horizon, periods_per_year)
    summary["turnover_long"] = turnover(members["long"]) if ids is not None else math.nan
    summary["turnover_short"] = turnover(members["short"]) if ids is not None else math.nan
    summary["turnover"] = (summary["turnover_long"] + summary["turnover_short"]) / 2
    daily = {"date": days.tolist(), "long": long, "short": short, "long_short": spread.tolist()}
    return {"daily": daily, "summary": summary, "quantiles": quantiles, "horizon": horizon}


def risk(spread: "np.ndarray", horizon: int, periods_per_year: int) -> Dict[str, float]:
    """The summary of ``long_short`` (see there) of the dates with a portfolio."""
    out: Dict[str, float] = dict.fromkeys(RISK, math.nan)
    out["n_dates"] = int(spread.size)
    if spread.size == 0:
        return out
    out["mean"] = float(spread.mean())
    out["annualized_return"] = periods_per_year * out["mean"] / horizon
    if spread.size > 1:
        volatility = float(spread.std(ddof=1)) * math.sqrt(periods_per_year / horizon)
        out["annualized_volatility"] = volatility
        if volatility > 0:
            out["sharpe"] = out["annualized_return"] / out["annualized_volatility"]
    wealth = np.concatenate([[0.0], np.cumsum(spread / horizon)])
    out["max_drawdown"] = float(np.min(wealth - np.maximum.accumulate(wealth)))
    return out


def long_short_tables(
    pred: Any,
    label: Any,
    date: Any,
    target_names: Sequence[str],
    horizons: Sequence[int],
    asset: Any = None,
    quantiles: int = 5,
) -> Dict[str, Dict[str, Any]]:
    """``long_short`` per target, each with its label's ``horizon`` (e.g. target ``k`` of the
    mock panel: ``k + 1`` dates)."""
    pred, label = columns(pred), columns(label)
    if not pred.shape[1] == label.shape[1] == len(target_names) == len(horizons):
        raise ValueError(
            f"pred, label, target_names, horizons: expected {pred.shape[1]} targets each, got "
            f"{label.shape[1]}, {len(target_names)}, {len(horizons)}"
        )
    return {
        name: long_short(pred[:, k], label[:, k], date, asset, quantiles, horizons[k])
        for k, name in enumerate(target_names)
    }
