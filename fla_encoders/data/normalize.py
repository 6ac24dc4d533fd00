"""Per-date cross-sectional normalisation, and the missing-value policy.

Policy: each date is normalised over the assets present on it, each column on its own, finite
values only (``"zscore"``: minus the mean, over the std; ``"rank"``: average ranks mapped to
[-1, 1]; ``"none"``). A column constant across assets on a date becomes 0. Missing features are
then filled with 0 (the cross-sectional mean) and, with ``flag_missing``, a 0/1 column per feature
marks them. Missing labels stay NaN: such assets are dropped from the loss and from the IC.
"""

import torch

METHODS = ("zscore", "rank", "none")


def column_ranks(block: torch.Tensor) -> torch.Tensor:
    """Average ranks ``0..n_c-1`` of each column of ``block: (n, C)`` over its finite values
    (``n_c`` of them), ties sharing their average rank; NaN stays NaN. float64."""
    values = block.to(torch.float64)
    finite = torch.isfinite(values)
    keys = torch.where(finite, values, torch.full_like(values, float("inf"))).T.contiguous()
    ordered = torch.sort(keys, dim=1).values
    below = torch.searchsorted(ordered, keys, side="left")
    through = torch.searchsorted(ordered, keys, side="right")
    ranks = (below + through - 1).to(torch.float64).T / 2
    return torch.where(finite, ranks, torch.full_like(ranks, float("nan")))


def normalize_columns(block: torch.Tensor, method: str) -> torch.Tensor:
    """``block: (n, C)`` normalised per column over its finite values; NaN stays NaN.

    ``"zscore"``: (v - mean) / std (population std); ``"rank"``: average rank mapped linearly
    onto [-1, 1]; ``"none"``: unchanged. A column with fewer than two distinct finite values
    becomes 0.
    """
    if method not in METHODS:
        raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
    if method == "none":
        return block.clone()
    finite = torch.isfinite(block)
    count = finite.sum(0).clamp(min=1)
    if method == "rank":
        span = (count - 1).clamp(min=1).to(torch.float64)
        scaled = torch.where(count > 1, 2 * column_ranks(block) / span - 1, torch.zeros(()))
    else:
        filled = torch.where(finite, block, torch.zeros_like(block)).to(torch.float64)
        centred = filled - filled.sum(0) / count
        centred = torch.where(finite, centred, torch.zeros_like(centred))
        std = (centred.pow(2).sum(0) / count).sqrt()
        scaled = torch.where(std > 0, centred / std.clamp(min=1e-300), torch.zeros_like(centred))
    return torch.where(finite, scaled, torch.full_like(scaled, float("nan"))).to(block.dtype)


def cross_sectional(values: torch.Tensor, present: torch.Tensor, method: str) -> torch.Tensor:
    """``values: (D, N, C)`` normalised per date and column over the ``present: (D, N)`` assets
    (see ``normalize_columns``); absent assets become NaN."""
    out = torch.full_like(values, float("nan"))
    for d in range(values.shape[0]):
        out[d, present[d]] = normalize_columns(values[d, present[d]], method)
    return out


def fill_missing(features: torch.Tensor, flag_missing: bool) -> torch.Tensor:
    """``features: (D, N, F)`` with NaN replaced by 0; with ``flag_missing``, ``(D, N, 2F)``
    whose last ``F`` columns are 1 where a value was missing."""
    missing = ~torch.isfinite(features)
    filled = torch.where(missing, torch.zeros_like(features), features)
    if flag_missing:
        return torch.cat([filled, missing.to(features.dtype)], dim=2)
    return filled
