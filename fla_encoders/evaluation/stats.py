"""Seed-to-seed noise: mean and std over seeds, paired differences with a t interval, and the
verdict on a target gain."""

import math
from typing import Dict, List, Optional

# Two-sided 95% quantiles of Student's t, by degrees of freedom (1..30); 1.96 beyond.
T_975 = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
]  # fmt: skip


def t_quantile_975(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df >= 1`` degrees of freedom."""
    if df < 1:
        raise ValueError(f"df: expected >= 1, got {df}")
    return T_975[df - 1] if df <= len(T_975) else 1.96


def mean_std(values: List[float]) -> Dict[str, float]:
    """``{"mean", "std", "n"}`` of the finite ``values`` (std with ddof = 1; NaN below two)."""
    kept = [v for v in values if math.isfinite(v)]
    n = len(kept)
    mean = sum(kept) / n if n else float("nan")
    std = math.sqrt(sum((v - mean) ** 2 for v in kept) / (n - 1)) if n > 1 else float("nan")
    return {"mean": mean, "std": std, "n": n}


def paired_difference(values: List[float], baseline: List[float]) -> Dict[str, float]:
    """``values[i] - baseline[i]`` over matched seeds: ``{"mean", "std", "n", "low", "high"}``,
    the 95% t interval of the mean difference (NaN bounds with fewer than two pairs)."""
    if len(values) != len(baseline):
        raise ValueError(f"baseline: expected {len(values)} matched values, got {len(baseline)}")
    stats = mean_std([v - b for v, b in zip(values, baseline)])
    half = float("nan")
    if stats["n"] > 1:
        half = t_quantile_975(stats["n"] - 1) * stats["std"] / math.sqrt(stats["n"])
    return {**stats, "low": stats["mean"] - half, "high": stats["mean"] + half}


def verdict(difference: Dict[str, float], target: Optional[float]) -> str:
    """``"met"`` if the interval lies at or above ``target``, ``"not met"`` if below it,
    ``"undecidable"`` if it straddles it (or has no bounds); ``"-"`` without a target."""
    if target is None:
        return "-"
    if not (math.isfinite(difference["low"]) and math.isfinite(difference["high"])):
        return "undecidable"
    if difference["low"] >= target:
        return "met"
    if difference["high"] < target:
        return "not met"
    return "undecidable"
