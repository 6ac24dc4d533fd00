"""IC metrics as Qlib defines them.

The daily IC of a date is the Pearson correlation, over the assets of that date, between
predictions and realised labels; the Rank IC is the Spearman correlation (Pearson of average
ranks, ties sharing their rank). Assets whose label or prediction is NaN are left out. A date
with fewer than two such assets, or whose predictions or labels are constant, has no IC (NaN),
as pandas' ``corr`` gives; dates without an IC are skipped by the summaries. Summaries: mean,
std (ddof = 1, as pandas), ICIR = mean / std (NaN when std is 0 or undefined).
"""

import math
from typing import Dict, List

import torch

from fla_encoders.data.normalize import column_ranks


def pearson(x: torch.Tensor, y: torch.Tensor) -> float:
    """Correlation of ``x: (n,)`` and ``y: (n,)`` over their finite pairs; NaN if undefined."""
    keep = torch.isfinite(x) & torch.isfinite(y)
    x, y = x[keep].double(), y[keep].double()
    if x.numel() < 2:
        return float("nan")
    x, y = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float((x * x).sum()) * float((y * y).sum()))
    # relative tolerance: a column constant up to rounding is constant
    scale = float(x.abs().max()) * float(y.abs().max()) * x.numel()
    if denominator <= 1e-12 * scale or denominator == 0:
        return float("nan")
    return float((x * y).sum()) / denominator


def spearman(x: torch.Tensor, y: torch.Tensor) -> float:
    """Rank correlation of ``x: (n,)`` and ``y: (n,)`` over pairs where both are finite."""
    keep = torch.isfinite(x) & torch.isfinite(y)
    ranks = column_ranks(torch.stack([x[keep], y[keep]], dim=1).double())
    return pearson(ranks[:, 0], ranks[:, 1])


def daily_ic(
    pred: torch.Tensor, label: torch.Tensor, date: torch.Tensor
) -> Dict[str, torch.Tensor]:
    """Per date, for ``pred``, ``label``, ``date``: ``(M,)`` rows (e.g. assets x dates).

    Returns ``{"date": (D,), "ic": (D,), "rank_ic": (D,)}`` over the distinct dates, sorted.
    """
    if not pred.shape == label.shape == date.shape or pred.dim() != 1:
        raise ValueError(
            f"pred, label, date: expected three (M,) tensors, got {tuple(pred.shape)}, "
            f"{tuple(label.shape)}, {tuple(date.shape)}"
        )
    dates = torch.unique(date)
    ic, rank_ic = [], []
    for d in dates:
        rows = date == d
        ic.append(pearson(pred[rows], label[rows]))
        rank_ic.append(spearman(pred[rows], label[rows]))
    return {
        "date": dates,
        "ic": torch.tensor(ic, dtype=torch.float64),
        "rank_ic": torch.tensor(rank_ic, dtype=torch.float64),
    }


def summarize(series: torch.Tensor) -> Dict[str, float]:
    """``{"mean", "std", "ir"}`` of a daily series ``(D,)``, NaN days skipped."""
    kept = series[torch.isfinite(series)].double()
    mean = float(kept.mean()) if kept.numel() else float("nan")
    std = float(kept.std()) if kept.numel() > 1 else float("nan")
    ir = mean / std if std > 0 else float("nan")
    return {"mean": mean, "std": std, "ir": ir}


def ic_metrics(
    pred: torch.Tensor, label: torch.Tensor, date: torch.Tensor, target_names: List[str]
) -> Dict[str, Dict[str, float]]:
    """IC, ICIR, Rank IC and Rank ICIR per target and their average over targets (``"mean"``).

    ``pred``, ``label``: ``(M, K)``; ``date``: ``(M,)``. Each entry holds ``ic``, ``ic_std``,
    ``icir``, ``rank_ic``, ``rank_ic_std``, ``rank_icir``.
    """
    if pred.shape != label.shape or pred.dim() != 2 or pred.shape[1] != len(target_names):
        raise ValueError(
            f"pred, label: expected (M, {len(target_names)}) each, got {tuple(pred.shape)} "
            f"and {tuple(label.shape)}"
        )
    out = {}
    for k, name in enumerate(target_names):
        series = daily_ic(pred[:, k], label[:, k], date)
        ic, rank_ic = summarize(series["ic"]), summarize(series["rank_ic"])
        out[name] = {
            "ic": ic["mean"],
            "ic_std": ic["std"],
            "icir": ic["ir"],
            "rank_ic": rank_ic["mean"],
            "rank_ic_std": rank_ic["std"],
            "rank_icir": rank_ic["ir"],
        }
    out["mean"] = {
        key: mean_of([out[n][key] for n in target_names]) for key in out[target_names[0]]
    }
    return out


def mean_of(values: List[float]) -> float:
    """Mean of the finite ``values``; NaN if none."""
    kept = [v for v in values if math.isfinite(v)]
    return sum(kept) / len(kept) if kept else float("nan")
