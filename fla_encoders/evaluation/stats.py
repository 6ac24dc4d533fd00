"""Seed-to-seed spread of a metric: mean and std over seeds (the gain statistics are in
``fla_encoders.evaluation.gain``)."""

import math
from typing import Dict, List


def mean_std(values: List[float]) -> Dict[str, float]:
    """``{"mean", "std", "n"}`` of the finite ``values`` (std with ddof = 1; NaN below two)."""
    kept = [v for v in values if math.isfinite(v)]
    n = len(kept)
    mean = sum(kept) / n if n else float("nan")
    std = math.sqrt(sum((v - mean) ** 2 for v in kept) / (n - 1)) if n > 1 else float("nan")
    return {"mean": mean, "std": std, "n": n}
