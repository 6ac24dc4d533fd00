"""An embedded synthetic panel in the SetE shape (docs/glossary.md): 734 features, 6 targets.

Planted structure, all generated from ``seed`` with ``torch.Generator`` (deterministic on CPU):

- Each asset has a hidden state ``h: (M,)`` (``M = 8``) following low-rank factor dynamics:
  ``h[d] = A h[d-1] + B f[d] + e[d]``, with ``K = 3`` market factors ``f`` (AR(1)) shared by all
  assets, asset-specific loadings ``B``, a stable mixing matrix ``A``, and idiosyncratic noise.
- Each asset also receives i.i.d. shocks ``u[d]: (4,)`` with no persistence.
- Features are ``W h[d] + V u[d]`` (``W: (F, M)``, ``V: (F, 4)`` fixed) plus observation noise:
  low rank and noisy.
- The next return is ``r[d+1] = s[d] + noise`` with the signal
  ``s[d] = 0.6 a . h[d] - z[d] * b . u[d-1]`` (both terms scaled to unit variance): the previous
  date's shock reverses (``z = 1``). ``u[d-1]`` is independent of everything seen on date ``d``:
  a model of the last step alone can reach about ``0.6 / sqrt(1.36)``, half the signal's
  correlation; a sequence model over the window can reach all of it. With
  ``regime_switching=True`` the regime ``z[d] = sign(h_0[d])`` decides whether the shock
  reverses or continues: the reversal is then a product of two directions of the features,
  which the encoders do not learn at these panel sizes (docs/evaluation.md, "The recipe").
- The noise is scaled so that ``corr(s[d], r[d+1])`` across assets is about ``ic_perfect``
  (0.12 by default): the daily IC of a predictor that knows the signal, well under 0.2.
- Target ``k`` (``k = 0..num_targets-1``) is the cumulative return over the next ``k + 1`` dates.
- Assets enter and leave (30% are listed late, 30% delisted early), about 1% of feature values
  are missing, and about 2% of labels are missing.
- Dates are business days (Monday to Friday) from 2020-01-01 on.
"""

import math
from typing import Tuple

import torch

from fla_encoders.data.dates import business_dates
from fla_encoders.data.panel import Panel

STATE_SIZE = 8
NUM_FACTORS = 3
SHOCK_SIZE = 4


def forward_sums(values: torch.Tensor, num_targets: int) -> torch.Tensor:
    """``(D, N, K)``: target ``k`` of date ``d`` is ``values[d] + ... + values[d + k]`` (row ``d``
    of ``values: (D, N)`` holds the return of the next date); NaN on the last ``K`` dates, which
    lack some future values."""
    n_dates = values.shape[0]
    out = torch.full((*values.shape, num_targets), float("nan"), dtype=values.dtype)
    cumulative = torch.cumsum(values, 0)
    for k in range(num_targets):
        start = torch.cat([torch.zeros_like(values[:1]), cumulative[: -(k + 1)]])
        out[: n_dates - k, :, k] = cumulative[k:] - start[: n_dates - k]
    out[n_dates - num_targets :] = float("nan")
    return out


def make_mock_panel(
    seed: int = 0,
    n_dates: int = 500,
    n_assets: int = 300,
    n_features: int = 734,
    num_targets: int = 6,
    ic_perfect: float = 0.12,
    regime_switching: bool = False,
) -> Panel:
    """The synthetic panel: features ``(n_dates, n_assets, n_features)``, labels
    ``(n_dates, n_assets, num_targets)``, ``horizon = num_targets``."""
    return simulate_mock(
        seed, n_dates, n_assets, n_features, num_targets, ic_perfect, regime_switching
    )[0]


def simulate_mock(
    seed: int,
    n_dates: int,
    n_assets: int,
    n_features: int,
    num_targets: int,
    ic_perfect: float,
    regime_switching: bool = False,
) -> Tuple[Panel, torch.Tensor, torch.Tensor]:
    """``(panel, signal, returns)``: the panel with the planted ``signal: (D, N)`` and the next
    returns ``returns: (D, N)`` (row ``d`` holds ``r[d+1]``), before assets are delisted."""
    for name, value in (("n_dates", n_dates), ("n_assets", n_assets)):
        if value < 2:
            raise ValueError(f"{name}: expected >= 2, got {value}")
    if not 0 < ic_perfect < 1:
        raise ValueError(f"ic_perfect: expected in (0, 1), got {ic_perfect}")
    g = torch.Generator().manual_seed(seed)

    def randn(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    q, _ = torch.linalg.qr(randn(STATE_SIZE, STATE_SIZE))
    mixing = q * torch.linspace(0.95, 0.6, STATE_SIZE, dtype=torch.float64)  # stable, persistent
    loadings = randn(n_assets, STATE_SIZE, NUM_FACTORS) * 0.5
    factors = torch.zeros(NUM_FACTORS, dtype=torch.float64)
    h = randn(n_assets, STATE_SIZE)
    states = []
    for _ in range(n_dates):
        factors = 0.9 * factors + 0.45 * randn(NUM_FACTORS)
        h = h @ mixing.T + loadings @ factors + 0.6 * randn(n_assets, STATE_SIZE)
        states.append(h)
    current = torch.stack(states)  # (D, N, M)

    shocks = randn(n_dates + 1, n_assets, SHOCK_SIZE)  # i.i.d.; row d + 1 is date d
    static_w, shock_w = randn(STATE_SIZE), randn(SHOCK_SIZE)
    regime = torch.sign(current[..., 0]) if regime_switching else torch.ones(())
    static = current @ static_w
    reversal = -regime * (shocks[:-1] @ shock_w)  # the previous date's shock
    signal = 0.6 * static / static.std() + reversal / reversal.std()
    signal = signal / signal.std()
    noise_scale = math.sqrt(1 / ic_perfect**2 - 1)
    returns = (signal + noise_scale * randn(n_dates, n_assets)) * 0.01  # r[d+1] sits at row d

    loading = randn(n_features, STATE_SIZE) / math.sqrt(STATE_SIZE)
    shock_loading = randn(n_features, SHOCK_SIZE) / math.sqrt(SHOCK_SIZE)
    features = current @ loading.T + shocks[1:] @ shock_loading.T
    features = features + 0.5 * randn(n_dates, n_assets, n_features)

    labels = forward_sums(returns, num_targets)
    planted = forward_sums(signal * 0.01, num_targets)  # the part of each label that is signal

    enters = torch.rand(n_assets, generator=g) < 0.3  # 30% enter late, 30% leave early
    leaves = torch.rand(n_assets, generator=g) < 0.3
    listed_from = torch.randint(1, n_dates // 3 + 1, (n_assets,), generator=g) * enters
    listed_to = n_dates - torch.randint(1, n_dates // 3 + 1, (n_assets,), generator=g) * leaves
    day = torch.arange(n_dates)[:, None]
    absent = (day < listed_from) | (day >= listed_to)  # (D, N)
    features[absent] = float("nan")
    labels[absent] = float("nan")
    features[torch.rand(features.shape, generator=g, dtype=torch.float64) < 0.01] = float("nan")
    labels[torch.rand(labels.shape, generator=g, dtype=torch.float64) < 0.02] = float("nan")

    panel = Panel(
        dates=business_dates(n_dates),
        assets=[f"a{n:04d}" for n in range(n_assets)],
        features=features.float(),
        labels=labels.float(),
        horizon=num_targets,
        feature_names=[f"f{i:03d}" for i in range(n_features)],
        target_names=[f"ret_{k + 1}d" for k in range(num_targets)],
        signal=planted.float(),
        target_horizons=list(range(1, num_targets + 1)),
    )
    return panel, signal, returns
