"""Is an encoder's test-IC gain over the baseline real? The mean gain over seeds and dates, a
95% interval that covers both noise sources, the power of the design, and the verdicts.

The design (docs/evaluation.md, "How a gain is decided"): seeds ``s = 1..S`` (encoder and
baseline trained with seed ``s`` on the same data and split), test dates ``t = 1..D`` (the same
for all), and the paired daily gain ``d[s, t] = IC_e[s, t] - IC_b[s, t]``, modelled as

    d[s, t] = mu + a[s] + x[t] + u[s, t]

``a``: the seed effect (training noise that shifts a seed's whole test period), variance
``seed``; ``x``: the date effect of the pair (the encoders' difference on date ``t``, shared by
every seed; a date effect common to both encoders cancels in ``d``), a stationary series of
long-run variance ``date``; ``u``: the seed-by-date interaction, independent across seeds, of
long-run variance ``interaction``. The estimand is ``mu = E[IC_e - IC_b]`` over training seeds
and dates; its estimate, the mean of ``d``, has variance

    seed / S + date / D + interaction / (S D).

Three statistics estimate it, each from its own contrasts of ``d`` (independent for Gaussian
noise): the variance of the seed means over ``S`` (``S - 1`` df), which holds ``seed / S +
interaction / (S D)``; the long-run variance of the seed-averaged daily gain over ``D``, which
holds ``date / D + interaction / (S D)``; the long-run variance of the double-centred residuals
over ``S D``, ``interaction / (S D)``. The first two minus the third count the interaction once
(no component below 0); the t critical value has the Satterthwaite degrees of freedom of that
combination, rounded down.

Long-run variances are equal-weighted cosine (EWC) estimates: the mean square of the first
``B`` coefficients of the series' orthonormal type-II DCT (scipy.fft), which for a stationary
series are nearly independent ``N(0, long-run variance)``, so the estimate has ``B`` degrees of
freedom (Lazarus, Lewis, Stock and Watson 2018, "HAR inference: recommendations for practice";
exactly chi-square for Gaussian white noise, and with ``B = D - 1`` the sample variance).
``B = floor(0.4 D^(2/3))`` (their rule), lowered when the spectral curvature estimated from the
sample autocovariances (statsmodels) says the estimate would be biased by more than 5%.
"""

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from fla_encoders.evaluation.optional import missing_stats

try:
    import numpy as np
    from scipy import fft, optimize, stats
    from statsmodels.tsa.stattools import acovf
except ImportError as exc:  # the optional extra fla-encoders[stats]
    raise missing_stats(exc) from exc

LEVEL = 0.95
POWER = 0.80
BIAS_TOLERANCE = 0.05
"""The relative bias of a long-run variance that the choice of cosines allows."""
MAX_SEEDS = 100_000
MAX_DATES = 10_000_000
NEEDS = ("seeds_needed", "seeds_note", "dates_needed", "dates_note", "scale_needed", "scale_note")
MAX_SCALE = 10_000
SUMMARY = (
    "mean", "se", "df", "low", "high", "level", "n_seeds", "n_dates", "n_seeds_dropped",
    "n_dates_dropped", "cosines", "method", "target", "power", "seed_noise_estimated", "vs_zero",
    "verdict", "mde",
)  # fmt: skip


# --- long-run variances ---------------------------------------------------------------------


def cosine_coefficients(y: "np.ndarray") -> "np.ndarray":
    """The orthonormal type-II DCT coefficients ``1..T-1`` of ``y`` along its last axis: for a
    stationary series each is about ``N(0, long-run variance)``; the mean does not enter them."""
    return fft.dct(np.asarray(y, dtype=float), type=2, norm="ortho", axis=-1)[..., 1:]


def spectral_curvature(series: "np.ndarray") -> float:
    """``q = sum_j j^2 gamma_j / sum_j gamma_j`` (sums over all integer lags), the curvature of
    the log spectral density at frequency 0 (``f''(0) / f(0) = -q``), from the autocovariances
    of ``series: (n, T)`` pooled over its rows, up to Newey and West's (1994) pre-truncation lag
    ``floor(4 (T / 100)^(2 / 25))``. 0 for white noise; ``2 phi / (1 - phi)^2`` for an AR(1);
    infinite when the estimate is not positive."""
    series = np.atleast_2d(np.asarray(series, dtype=float))
    length = series.shape[1]
    lags = min(max(1, int(4 * (length / 100) ** (2 / 25))), length - 1)
    gamma = np.mean([acovf(row, nlag=lags, fft=False) for row in series], axis=0)
    j = np.arange(1, lags + 1)
    s0 = gamma[0] + 2 * gamma[1:].sum()
    s2 = 2 * (j**2 * gamma[1:]).sum()
    if s0 > 0:
        return max(float(s2 / s0), 0.0)
    return 0.0 if not np.any(gamma) else math.inf


def cosines_for(length: float, curvature: float = 0.0, tolerance: float = BIAS_TOLERANCE) -> float:
    """How many cosines ``B`` the long-run variance of ``length`` dates uses: Lazarus et al.'s
    ``floor(0.4 T^(2/3))``, at most the largest ``B`` whose bias ``(q / 2) (pi / T)^2 (B + 1)
    (2 B + 1) / 6`` (the mean of the spectrum's quadratic fall over the frequencies
    ``pi k / T``, ``k <= B``) stays within ``tolerance``; between 2 and ``T - 1``. Infinite for
    infinitely many dates."""
    if math.isinf(length):
        return math.inf
    length = int(length)
    cosines = int(0.4 * length ** (2 / 3) + 1e-9)  # 1e-9: 1000 dates give 40, not 39
    if curvature > 0:
        room = 12 * tolerance / (curvature * (math.pi / length) ** 2)  # (B + 1)(2 B + 1) <= room
        cosines = min(cosines, int((-3 + math.sqrt(1 + 8 * room)) / 4))
    return max(min(cosines, length - 1), min(2, length - 1))


@dataclass(frozen=True)
class LongRunVariance:
    """An EWC long-run variance ``value`` (``2 pi f(0)``, so ``Var(mean) ~ value / T``) of
    ``length`` observations, with ``cosines`` degrees of freedom."""

    value: float
    cosines: int
    length: int


def long_run_variance(y: Sequence[float], cosines: Optional[int] = None) -> LongRunVariance:
    """The EWC long-run variance of the series ``y: (T,)`` (NaN entries dropped), with
    ``cosines`` cosines (default ``cosines_for(T, spectral_curvature(y))``)."""
    y = np.asarray(y, dtype=float)
    if y.ndim != 1:
        raise ValueError(f"y: expected a series (T,), got shape {y.shape}")
    y = y[np.isfinite(y)]
    if y.size < 3:
        raise ValueError(f"y: expected a series of at least 3 finite values, got {y.size}")
    if cosines is None:
        cosines = int(cosines_for(y.size, spectral_curvature(y)))
    check_cosines(cosines, y.size)
    value = float(np.mean(cosine_coefficients(y)[:cosines] ** 2))
    return LongRunVariance(value=value, cosines=cosines, length=y.size)


def check_cosines(cosines: int, length: int) -> None:
    if not 1 <= cosines <= length - 1:
        raise ValueError(f"cosines: expected 1..{length - 1} for {length} dates, got {cosines}")


# --- power -----------------------------------------------------------------------------------


def critical_value(df: float, level: float = LEVEL) -> float:
    """The two-sided ``level`` quantile of Student's t with ``df`` (possibly fractional or
    infinite) degrees of freedom."""
    quantile = 0.5 + level / 2
    return float(stats.norm.ppf(quantile) if math.isinf(df) else stats.t.ppf(quantile, df))


def power_of(effect: float, se: float, df: float, level: float = LEVEL) -> float:
    """The probability that the two-sided ``level`` t interval excludes 0 when the true gain is
    ``effect``, the estimate's standard error ``se`` and its variance estimate has ``df``
    degrees of freedom: ``t = estimate / se_hat`` is noncentral t with noncentrality
    ``effect / se``."""
    if se == 0:
        return 1.0 if effect != 0 else 1 - level
    shift, crit = effect / se, critical_value(df, level)
    if math.isinf(df):
        return float(stats.norm.sf(crit - shift) + stats.norm.cdf(-crit - shift))
    # P(t < -c) = P(t' > c) for the opposite shift; scipy's far left tail can be NaN, i.e. ~0
    return float(stats.nct.sf(crit, df, shift) + np.nan_to_num(stats.nct.sf(crit, df, -shift)))


def minimum_detectable_effect(
    se: float, df: float, level: float = LEVEL, power: float = POWER
) -> float:
    """The smallest gain that the ``level`` interval excludes 0 for with probability ``power``
    (see ``power_of``); about ``(t_{df, 0.975} + t_{df, 0.80}) se`` at the defaults."""
    if se == 0 or not math.isfinite(se):
        return se
    crit = critical_value(df, level)
    shift = optimize.brentq(
        lambda s: power_of(s * se, se, df, level) - power, 0.0, 2 * (crit + 3), xtol=1e-8
    )
    return float(shift * se)


# --- the variance components -----------------------------------------------------------------


@dataclass(frozen=True)
class Noise:
    """The noise of the daily gain per unit: ``seed`` = Var(a) (NaN when one seed gives no
    estimate: then ``date`` holds the interaction too and ``interaction`` is 0); ``date``,
    ``interaction``: long-run variances of ``x`` and ``u``; ``curvature``: the spectral
    curvature that chooses the cosines at other numbers of dates."""

    seed: float
    date: float
    interaction: float
    curvature: float

    @property
    def seed_estimated(self) -> bool:
        return math.isfinite(self.seed)

    def design(
        self, n_seeds: float, n_dates: float, cosines: Optional[float] = None
    ) -> Tuple[Dict[str, float], float]:
        """The variance of the mean gain over ``n_seeds x n_dates`` by source
        (``{"seed", "date", "interaction"}``, NaN where not estimated) and the degrees of
        freedom of its estimate (``cosines`` default ``cosines_for``): Satterthwaite's, rounded
        down, and at least the fewest df of a statistic that adds to the variance."""
        if cosines is None:
            cosines = cosines_for(n_dates, self.curvature)
        date = self.date / n_dates
        interaction = self.interaction / (n_seeds * n_dates)
        if not self.seed_estimated or n_seeds < 2:
            parts = {"seed": math.nan, "date": date + interaction, "interaction": math.nan}
            return parts, cosines
        parts = {"seed": self.seed / n_seeds, "date": date, "interaction": interaction}
        # the statistics, (expectation, df): the seed means, the seed-averaged daily gain, the
        # residuals; the interaction is in the first two, so the third takes it out once
        pieces = [
            (parts["seed"] + interaction, n_seeds - 1),
            (date + interaction, cosines),
            (-interaction, cosines * (n_seeds - 1)),
        ]
        variance = sum(value for value, _ in pieces)
        spread = sum(value**2 / df for value, df in pieces if value != 0)
        if spread == 0:
            return parts, math.inf
        # Rounded down: with a statistic of few df dominating, the plain value is liberal (the
        # estimated df are largest exactly when that statistic came out small). Only the
        # negative piece can take it below the fewest df of the positive ones.
        fewest = min(df for value, df in pieces if value > 0)
        return parts, max(math.floor(variance**2 / spread), fewest)

    def mde(
        self, n_seeds: float, n_dates: float, level: float = LEVEL, power: float = POWER
    ) -> float:
        """The minimum detectable effect of a design of ``n_seeds x n_dates`` at this noise."""
        parts, df = self.design(n_seeds, n_dates)
        se = math.sqrt(sum(v for v in parts.values() if math.isfinite(v)))
        return minimum_detectable_effect(se, df, level, power)

    def to_dict(self) -> Dict[str, Optional[float]]:
        names = ("seed", "date", "interaction", "curvature")
        return {name: finite_or_none(getattr(self, name)) for name in names}


def fit_noise(gain: "np.ndarray", cosines: Optional[int] = None) -> Tuple[Noise, int]:
    """The ``Noise`` of a complete ``(S, D)`` panel of daily gains and the cosines it used."""
    n_seeds, n_dates = gain.shape
    seed_mean, daily = gain.mean(axis=1), gain.mean(axis=0)
    residual = gain - seed_mean[:, None] - daily[None, :] + gain.mean()
    curvature = spectral_curvature(daily)
    if n_seeds > 1:
        curvature = max(curvature, spectral_curvature(residual))
    if cosines is None:
        cosines = int(cosines_for(n_dates, curvature))
    check_cosines(cosines, n_dates)
    # (date + interaction / S) / D, from the seed-averaged daily gain
    by_date = float(np.mean(cosine_coefficients(daily)[:cosines] ** 2)) / n_dates
    if n_seeds == 1:
        return Noise(math.nan, by_date * n_dates, 0.0, curvature), cosines
    # (seed + interaction / D) / S, from the seed means
    by_seed = float(np.var(seed_mean, ddof=1)) / n_seeds
    # interaction / (S D), from the residuals: S - 1 independent series' worth of cosines
    coefficients = cosine_coefficients(residual)[:, :cosines]
    shared = float(np.sum(coefficients**2)) / (cosines * (n_seeds - 1) * n_seeds * n_dates)
    # counted once, and no more than either statistic that holds it: a component is not negative
    shared = min(shared, by_seed, by_date)
    noise = Noise(
        seed=(by_seed - shared) * n_seeds,
        date=(by_date - shared) * n_dates,
        interaction=shared * n_seeds * n_dates,
        curvature=curvature,
    )
    return noise, cosines


def paired_panel(encoder: Any, baseline: Any) -> Tuple["np.ndarray", int, int]:
    """``(gain, seeds dropped, dates dropped)``: the daily gains ``encoder - baseline`` of two
    ``(S, D)`` arrays (or ``(D,)`` for one seed) of daily ICs on the same dates, without the
    seeds that have no finite gain and then without every date where a kept seed has none."""
    encoder, baseline = np.asarray(encoder, dtype=float), np.asarray(baseline, dtype=float)
    if encoder.shape != baseline.shape or encoder.ndim not in (1, 2):
        raise ValueError(
            f"encoder, baseline: expected two (S, D) or (D,) arrays of daily ICs, got shapes "
            f"{encoder.shape} and {baseline.shape}"
        )
    gain = np.atleast_2d(encoder - baseline)
    finite = np.isfinite(gain)
    seeds = finite.any(axis=1)
    dates = finite[seeds].all(axis=0) if seeds.any() else np.zeros(gain.shape[1], bool)
    kept = gain[seeds][:, dates]
    if kept.shape[1] < 3:
        raise ValueError(
            f"the encoder and the baseline share {kept.shape[1]} dates with a finite daily IC "
            f"on every seed; at least 3 are needed"
        )
    return kept, int((~seeds).sum()), int((~dates).sum())


# --- planning --------------------------------------------------------------------------------


def smallest(low: int, high: int, ok: Callable[[int], bool]) -> Optional[int]:
    """The smallest ``n`` in ``low..high`` with ``ok(n)``, for ``ok`` monotone; None if none."""
    if not ok(high):
        return None
    while low < high:
        middle = (low + high) // 2
        if ok(middle):
            high = middle
        else:
            low = middle + 1
    return low


def seed_plan_refusal(noise: Noise, target: float) -> str:
    """Why no number of seeds can be planned for ``target`` (no positive target, or the seed
    noise unknown); empty when one can."""
    if not target > 0:
        return "no positive target"
    if not noise.seed_estimated:
        return "seed noise not estimated (one seed): run at least 2 seeds"
    return ""


def seeds_needed(
    noise: Noise, n_dates: int, target: float, level: float = LEVEL, power: float = POWER
) -> Tuple[Optional[int], str]:
    """The fewest seeds at ``n_dates`` whose MDE is at most ``target``, and why (None: not
    reachable by more seeds, the seed noise unknown, or no positive target)."""
    refusal = seed_plan_refusal(noise, target)
    if refusal:
        return None, refusal
    mde_at = lambda seeds: noise.mde(seeds, n_dates, level, power)  # noqa: E731
    return fewest("seed", 2, MAX_SEEDS, mde_at, target, count(n_dates, "date"))


def dates_needed(
    noise: Noise, n_seeds: int, target: float, level: float = LEVEL, power: float = POWER
) -> Tuple[Optional[int], str]:
    """The fewest test dates at ``n_seeds`` whose MDE is at most ``target``, and why (None: not
    reachable by more dates, or no positive target). With one seed the seed noise, unknown, is
    left out: the number is then a lower bound."""
    if not target > 0:
        return None, "no positive target"
    caveat = "" if noise.seed_estimated else " (a lower bound: seed noise not estimated)"
    mde_at = lambda dates: noise.mde(n_seeds, dates, level, power)  # noqa: E731
    return fewest("date", 3, MAX_DATES, mde_at, target, count(n_seeds, "seed"), caveat)


def scale_needed(
    noise: Noise,
    n_seeds: int,
    n_dates: int,
    target: float,
    level: float = LEVEL,
    power: float = POWER,
) -> Tuple[Optional[int], str]:
    """The fewest factor ``m >= 2`` by which both seeds and test dates grow (``m n_seeds x
    m n_dates``) whose MDE is at most ``target``: what it takes where neither alone reaches it.
    None with the reason when the seed noise is unknown or there is no positive target."""
    refusal = seed_plan_refusal(noise, target)
    if refusal:
        return None, refusal
    mde_at = lambda m: noise.mde(m * n_seeds, m * n_dates, level, power)  # noqa: E731
    found = smallest(2, MAX_SCALE, lambda m: mde_at(m) <= target)
    if found is None:
        return None, f"more than {MAX_SCALE} times both"
    seeds, dates = count(found * n_seeds, "seed"), count(found * n_dates, "date")
    return found, f"both together: {seeds} x {dates} ({found} times each)"


def fewest(
    unit: str,
    least: int,
    most: int,
    mde_at: Callable[[float], float],
    target: float,
    at: str,
    caveat: str = "",
) -> Tuple[Optional[int], str]:
    """The fewest ``unit`` (``"seed"`` or ``"date"``) from ``least`` to ``most`` whose MDE
    ``mde_at(n)`` (decreasing in ``n``) is at most ``target``, the rest of the design being
    ``at``; None with the reason when there is none."""
    floor = mde_at(math.inf)
    if floor > target:
        other = "date" if unit == "seed" else "seed"
        return None, (
            f"not reachable by more {unit}s alone (the {other} noise alone gives an MDE of "
            f"{floor:.4g} at {at})"
        )
    found = smallest(least, most, lambda n: mde_at(n) <= target)
    if found is None:
        return None, f"more than {most} {unit}s at {at}{caveat}"
    return found, f"{count(found, unit)} at {at}{caveat}"


# --- the estimate ----------------------------------------------------------------------------


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def finite_or_none(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class GainEstimate:
    """The mean daily-IC gain of an encoder over its baseline, its ``level`` interval
    ``[low, high]`` (``mean ± t_df se``), the variance by source (``components``: seed, date,
    interaction; they sum to ``se ** 2``; seed and interaction NaN with one seed), and, derived
    on demand, the verdicts and what a decision would take."""

    mean: float
    se: float
    df: float
    low: float
    high: float
    components: Dict[str, float]
    n_seeds: int
    n_dates: int
    cosines: int
    noise: Noise
    method: str
    target: Optional[float] = None
    level: float = LEVEL
    power: float = POWER
    n_seeds_dropped: int = 0
    n_dates_dropped: int = 0

    @property
    def seed_noise_estimated(self) -> bool:
        return self.noise.seed_estimated

    @property
    def caveat(self) -> str:
        return "" if self.seed_noise_estimated else " (seed noise not estimated)"

    @property
    def vs_zero(self) -> str:
        """``"better"`` when the interval lies above 0, ``"worse"`` below, else
        ``"undecidable"``: does the encoder beat the baseline at all?"""
        if self.low > 0:
            return "better" + self.caveat
        if self.high < 0:
            return "worse" + self.caveat
        return "undecidable"

    @property
    def verdict(self) -> str:
        """On the target gain: ``"met"`` when ``low >= target``, ``"not met"`` when ``high <
        target``, else ``"undecidable"``; ``"-"`` without a target."""
        if self.target is None:
            return "-"
        if self.low >= self.target:
            return "met" + self.caveat
        if self.high < self.target:
            return "not met" + self.caveat
        return "undecidable"

    @cached_property
    def mde(self) -> float:
        """The gain this design detects (interval above 0) with probability ``power``."""
        return minimum_detectable_effect(self.se, self.df, self.level, self.power)

    @cached_property
    def needs(self) -> Dict[str, Any]:
        """``seeds_needed`` (at these dates) and ``dates_needed`` (at these seeds) for an MDE at
        most the target, each with its note; None without a target."""
        if self.target is None:
            return dict.fromkeys(NEEDS, None)
        seeds, seeds_note = seeds_needed(
            self.noise, self.n_dates, self.target, self.level, self.power
        )
        dates, dates_note = dates_needed(
            self.noise, self.n_seeds, self.target, self.level, self.power
        )
        scale, scale_note = scale_needed(
            self.noise, self.n_seeds, self.n_dates, self.target, self.level, self.power
        )
        return dict(zip(NEEDS, (seeds, seeds_note, dates, dates_note, scale, scale_note)))

    @property
    def seeds_needed(self) -> Optional[int]:
        return self.needs["seeds_needed"]

    @property
    def dates_needed(self) -> Optional[int]:
        return self.needs["dates_needed"]

    @property
    def to_decide(self) -> str:
        """What the verdict rests on, or what deciding it would take."""
        bounds = f"[{self.low:+.4g}, {self.high:+.4g}]"
        if self.target is None:
            return f"interval {bounds}, MDE {self.mde:.4g}"
        if self.verdict != "undecidable":
            return f"interval {bounds} against the target {self.target:+.4g}{self.caveat}"
        return (
            f"interval {bounds} straddles the target {self.target:+.4g}; MDE {self.mde:.4g} at "
            f"{count(self.n_seeds, 'seed')} x {count(self.n_dates, 'date')}; for an MDE at the "
            f"target: {self.needs['seeds_note']}; {self.needs['dates_note']}; "
            f"{self.needs['scale_note']}"
        )

    def to_dict(self) -> Dict[str, Any]:
        """Every number and verdict, JSON-ready (non-finite numbers as None)."""
        out = {key: getattr(self, key) for key in SUMMARY}
        out["components"] = {k: finite_or_none(v) for k, v in self.components.items()}
        out["noise"] = self.noise.to_dict()
        out.update(self.needs)
        out["to_decide"] = self.to_decide
        return {k: finite_or_none(v) for k, v in out.items()}


def estimate_gain(
    encoder: Any,
    baseline: Any,
    target: Optional[float] = None,
    level: float = LEVEL,
    power: float = POWER,
    cosines: Optional[int] = None,
) -> GainEstimate:
    """The gain of ``encoder`` over ``baseline``: two ``(S, D)`` arrays of daily ICs (seed
    ``s`` of one paired with seed ``s`` of the other, the same ``D`` dates; ``(D,)`` for one
    seed; NaN where a date has no IC), judged against the ``target`` gain. Seeds without any
    finite gain, then dates without a finite gain on every kept seed, are left out (counted in
    ``n_seeds_dropped``, ``n_dates_dropped``); at least 3 dates must remain. ``cosines``
    overrides the number of cosines of the long-run variances (default ``cosines_for``)."""
    gain, seeds_dropped, dates_dropped = paired_panel(encoder, baseline)
    n_seeds, n_dates = gain.shape
    noise, cosines = fit_noise(gain, cosines)
    components, df = noise.design(n_seeds, n_dates, cosines)
    se = math.sqrt(sum(v for v in components.values() if math.isfinite(v)))
    mean = float(gain.mean())
    half = critical_value(df, level) * se if se > 0 else 0.0
    if noise.seed_estimated:
        method = (
            f"seeds x dates: variance of the {n_seeds} seed means ({n_seeds - 1} df) + EWC "
            f"long-run variance of the seed-averaged daily gain ({cosines} cosines), the "
            f"seed-by-date interaction counted once; Satterthwaite df"
        )
    else:
        method = (
            f"dates only, one seed (seed noise not estimated, not covered): EWC long-run "
            f"variance of the daily gain ({cosines} cosines = df)"
        )
    return GainEstimate(
        mean=mean, se=se, df=df, low=mean - half, high=mean + half, components=components,
        n_seeds=n_seeds, n_dates=n_dates, cosines=cosines, noise=noise, method=method,
        target=target, level=level, power=power, n_seeds_dropped=seeds_dropped,
        n_dates_dropped=dates_dropped,
    )  # fmt: skip


def estimate_gains(
    encoder: Mapping[str, Any],
    baseline: Mapping[str, Any],
    target: Optional[float] = None,
    **options: Any,
) -> Dict[str, GainEstimate]:
    """``estimate_gain`` per target of ``encoder`` and ``baseline`` (target name -> ``(S, D)``
    daily ICs) and for ``"mean"``, the daily IC averaged over the targets, all judged against
    ``target``; ``options`` go to ``estimate_gain``. The mean of seed ``s``, date ``t`` is over
    the targets with a finite IC for both encoder and baseline there, the same for both."""
    names: List[str] = list(encoder)
    if set(names) != set(baseline) or not names or "mean" in names:
        raise ValueError(
            f"encoder, baseline: expected the same target names (not 'mean'), got "
            f"{sorted(encoder)} and {sorted(baseline)}"
        )
    out = {name: estimate_gain(encoder[name], baseline[name], target, **options) for name in names}
    out["mean"] = estimate_gain(
        *paired_mean([encoder[n] for n in names], [baseline[n] for n in names]),
        target,
        **options,
    )
    return out


def paired_mean(encoder: Sequence[Any], baseline: Sequence[Any]) -> Tuple["np.ndarray", ...]:
    """The element-wise means over targets of ``encoder`` and ``baseline`` (equally shaped
    arrays, one a target), each over the targets finite in both (NaN if none)."""
    encoder = np.stack([np.asarray(s, dtype=float) for s in encoder])
    baseline = np.stack([np.asarray(s, dtype=float) for s in baseline])
    both = np.isfinite(encoder) & np.isfinite(baseline)
    count = np.maximum(both.sum(axis=0), 1)
    means = [np.where(both, side, 0.0).sum(axis=0) / count for side in (encoder, baseline)]
    return tuple(np.where(both.any(axis=0), mean, np.nan) for mean in means)
