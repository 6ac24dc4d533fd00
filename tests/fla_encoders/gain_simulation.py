"""Simulated daily ICs of an encoder and its baseline over seeds x dates, for the calibration and
power tests of fla_encoders.evaluation.gain; ``python -m tests.fla_encoders.gain_simulation``
prints the full table (docs/evaluation.md quotes it).

The daily IC of the baseline, seed ``s``, date ``t`` is ``0.05 + c[t] + b[s] + e[s, t]``: ``c``
a date effect common to both encoders (it cancels in the gain), ``b`` the baseline's own seed
noise, ``e`` its own daily noise. The encoder's adds the gain ``mu + a[s] + x[t] + u[s, t]``:
``a`` the seed effect (i.i.d. normal), ``x`` the date effect of the pair, ``u`` the
seed-by-date interaction, both from a serially correlated ``process``:

- ``"ar"``: AR(1), phi = 0.5;
- ``"ma"``: the sum of 6 consecutive white-noise values, as the IC of overlapping 6-day
  forward returns is (MA(5));
- ``"both"``: the sum of 6 consecutive values of that AR(1).

A ``regime`` fixes the shares of the estimate's variance at ``(S, D)`` that ``a``, ``x`` and
``u`` contribute, from the exact variance of a ``D``-date mean of the process; the variance is
1, so the planted ``mu`` is in standard errors.
"""

import math
from typing import Dict, List, Tuple

import numpy as np
from scipy import linalg, signal

from fla_encoders.evaluation.gain import Noise, estimate_gain, minimum_detectable_effect

PHI, WINDOW, BURN = 0.5, 6, 100
REGIMES: Dict[str, Tuple[float, float, float]] = {
    "seed": (0.8, 0.1, 0.1),  # seed noise dominates
    "date": (0.1, 0.8, 0.1),  # date noise dominates
    "interaction": (0.1, 0.1, 0.8),  # the seed-by-date interaction dominates
    "no_seed": (0.0, 0.8, 0.2),  # no seed effect: what one seed can cover
}
# the spectral curvature q of each process: 2 phi / (1 - phi)^2 for the AR(1), 35 / 6 for the
# moving sum of 6 (sum j^2 (6 - |j|) / 36), their sum for the two together
AR_CURVATURE = 2 * PHI / (1 - PHI) ** 2
CURVATURE = {"ar": AR_CURVATURE, "ma": 35 / 6, "both": AR_CURVATURE + 35 / 6}


def filtered(kind: str, noise: np.ndarray) -> np.ndarray:
    if kind in ("ar", "both"):
        noise = signal.lfilter([1.0], [1.0, -PHI], noise, axis=-1)
    if kind in ("ma", "both"):
        noise = signal.lfilter(np.ones(WINDOW), [1.0], noise, axis=-1)
    return noise


def process(kind: str, rng: np.random.Generator, shape: Tuple[int, ...]) -> np.ndarray:
    """``shape[:-1]`` independent stationary series of length ``shape[-1]``."""
    noise = rng.standard_normal(shape[:-1] + (shape[-1] + BURN,))
    return filtered(kind, noise)[..., BURN:]


def variance_of_mean(kind: str, n_dates: int) -> float:
    """The exact variance of the mean of ``n_dates`` consecutive values of the process."""
    impulse = np.zeros(n_dates + 400)
    impulse[0] = 1.0
    response = filtered(kind, impulse)
    autocovariance = np.correlate(response, response, "full")[response.size - 1 :][:n_dates]
    return float(linalg.toeplitz(autocovariance).sum()) / n_dates**2


def true_noise(kind: str, regime: str, n_seeds: int, n_dates: int) -> Noise:
    """The ``Noise`` whose variance at ``(n_seeds, n_dates)`` the regime sets to 1."""
    seed, date, interaction = REGIMES[regime]
    return Noise(
        seed=seed * n_seeds,
        date=date * n_dates,
        interaction=interaction * n_seeds * n_dates,
        curvature=CURVATURE[kind],
    )


def simulate(
    rng: np.random.Generator,
    reps: int,
    n_seeds: int,
    n_dates: int,
    kind: str,
    regime: str,
    mu: float = 0.0,
) -> Tuple[np.ndarray, np.ndarray]:
    """``(encoder, baseline)`` daily ICs, ``(reps, n_seeds, n_dates)`` each."""
    seed, date, interaction = REGIMES[regime]
    per_date = variance_of_mean(kind, n_dates)
    shape = (reps, n_seeds, n_dates)
    a = math.sqrt(seed * n_seeds) * rng.standard_normal((reps, n_seeds, 1))
    x = math.sqrt(date / per_date) * process(kind, rng, (reps, 1, n_dates))
    u = math.sqrt(interaction * n_seeds / per_date) * process(kind, rng, shape)
    common = 5 * process(kind, rng, (reps, 1, n_dates))
    baseline = 0.05 + common + rng.standard_normal((reps, n_seeds, 1)) + rng.standard_normal(shape)
    return baseline + mu + a + x + u, baseline


def coverage(
    kind: str, regime: str, n_seeds: int, n_dates: int, reps: int, seed: int = 0
) -> Tuple[float, float]:
    """The share of ``reps`` null simulations whose 95% interval covers 0, and its Monte-Carlo
    standard error."""
    encoder, baseline = simulate(np.random.default_rng(seed), reps, n_seeds, n_dates, kind, regime)
    estimates = [estimate_gain(e, b) for e, b in zip(encoder, baseline)]
    share = float(np.mean([est.low <= 0 <= est.high for est in estimates]))
    return share, math.sqrt(share * (1 - share) / reps)


def power(
    kind: str, regime: str, n_seeds: int, n_dates: int, reps: int, target: float, seed: int = 0
) -> Tuple[float, float, float]:
    """``(predicted, measured, its standard error)``: the power formula at the true noise and
    the rate at which the interval excludes 0 when the planted gain is the formula's
    ``target``-power effect."""
    parts, df = true_noise(kind, regime, n_seeds, n_dates).design(n_seeds, n_dates)
    mu = minimum_detectable_effect(math.sqrt(sum(parts.values())), df, power=target)
    rng = np.random.default_rng(seed)
    encoder, baseline = simulate(rng, reps, n_seeds, n_dates, kind, regime, mu)
    rate = float(np.mean([estimate_gain(e, b).low > 0 for e, b in zip(encoder, baseline)]))
    return target, rate, math.sqrt(rate * (1 - rate) / reps)


CELLS: List[Tuple[int, int]] = [(3, 40), (3, 250), (10, 40), (10, 250)]


POWER_CELLS: List[Tuple[str, int, int]] = [
    ("seed", 3, 40), ("seed", 3, 250), ("seed", 10, 40), ("seed", 10, 250),
    ("date", 3, 250), ("date", 10, 250),
]  # fmt: skip


def main() -> None:
    reps = 2000
    print(f"coverage of 0 by the 95% interval under the null, {reps} repetitions each")
    for kind in ("ar", "ma", "both"):
        cells = [(regime, s, d) for regime in ("seed", "date", "interaction") for s, d in CELLS]
        for regime, n_seeds, n_dates in cells + [("no_seed", 1, 250), ("seed", 1, 250)]:
            share, se = coverage(kind, regime, n_seeds, n_dates, reps)
            cell = f"{kind:5s} {regime:12s} S={n_seeds:2d} D={n_dates:3d}"
            print(f"{cell}  {share:.3f} ± {se:.3f}")
    print("power: predicted by power_of at the true noise, measured over 1000 repetitions")
    for kind in ("ar", "ma"):
        for regime, n_seeds, n_dates in POWER_CELLS:
            for target in (0.5, 0.8):
                predicted, measured, se = power(kind, regime, n_seeds, n_dates, 1000, target)
                cell = f"{kind:5s} {regime:12s} S={n_seeds:2d} D={n_dates:3d}"
                print(f"{cell}  {predicted:.2f}  {measured:.3f} ± {se:.3f}")


if __name__ == "__main__":
    main()
