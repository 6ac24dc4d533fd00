"""The ladder's numbers and decisions, from its runs (``compare``).

Per encoder: the test metrics over seeds, its fraction of the oracle (on a synthetic panel), the
gain over the baseline per target and for the targets' mean, IC and Rank IC, each judged against
the promised gain (``ladder.json``) by ``fla_encoders.evaluation.gain``; the gain over the
``linear`` reference (does a sequence encoder use the past?); alphalens' information table and
the long-short view of its test predictions. The planted effect (mock panel): the best sequence
encoder against ``linear`` on the target that carries it.
"""

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import torch

from fla_encoders.evaluation.predict import Predictions
from fla_encoders.evaluation.stats import mean_std
from fla_encoders.experiments.run import PREDICTIONS

LADDER = json.loads((Path(__file__).resolve().parent / "ladder.json").read_text())
BASELINE: str = LADDER["baseline"]
REFERENCE: str = LADDER["reference"]
PROMISED = {
    e: spec["promised_gain"] for e, spec in LADDER["encoders"].items() if "promised_gain" in spec
}
LEVELS = {e: spec["level"] for e, spec in LADDER["encoders"].items()}
METRICS = ("ic", "rank_ic", "icir", "rank_icir")
KINDS = ("ic", "rank_ic")
Runs = Dict[str, List[Dict[str, Any]]]


def daily_panels(results: Sequence[Dict[str, Any]], kind: str) -> Dict[str, List[List[float]]]:
    """Per target, the ``(S, D)`` daily ``kind`` ("ic" or "rank_ic") of the seeds' runs."""
    targets = results[0]["daily"]["targets"]
    return {name: [r["daily"]["targets"][name][kind] for r in results] for name in targets}


def gains(
    encoder: Sequence[Dict[str, Any]], baseline: Sequence[Dict[str, Any]], promised: Optional[float]
) -> Dict[str, Dict[str, Dict[str, Any]]]:
    """``{kind: {target or "mean": GainEstimate.to_dict()}}`` of ``encoder`` over ``baseline``;
    where the design cannot give an estimate (too few dates), ``{"mean": {"error": why}}``."""
    from fla_encoders.evaluation.gain import estimate_gains

    out = {}
    for kind in KINDS:
        try:
            estimates = estimate_gains(
                daily_panels(encoder, kind), daily_panels(baseline, kind), promised
            )
        except ValueError as exc:
            out[kind] = {"mean": {"error": str(exc)}}
            continue
        out[kind] = {name: estimate.to_dict() for name, estimate in estimates.items()}
    return out


def seed_mean(series: Sequence[Sequence[float]]) -> List[float]:
    """The element-wise mean over seeds of equally long daily series, NaN-aware."""
    values = torch.tensor(series, dtype=torch.float64)
    return values.nanmean(0).tolist()


def information(results: Sequence[Dict[str, Any]]) -> Dict[str, Dict[str, Dict[str, float]]]:
    """alphalens' information table of the seed-averaged daily IC and Rank IC, per target and
    for the targets' mean: ``{target or "mean": {kind: table}}``."""
    from fla_encoders.evaluation.factor import information_table

    out = {}
    for kind in KINDS:
        for name, panel in daily_panels(results, kind).items():
            out.setdefault(name, {})[kind] = information_table(seed_mean(panel))
        out.setdefault("mean", {})[kind] = information_table(
            seed_mean([r["daily"][kind] for r in results])
        )
    return out


def long_short(run_dirs: Sequence[Path]) -> Dict[str, Dict[str, float]]:
    """The long-short summary per target (``fla_encoders.evaluation.factor.long_short``) of each
    run's saved test predictions, averaged over the runs."""
    from fla_encoders.evaluation.factor import long_short_tables

    per_run = []
    for run_dir in run_dirs:
        saved = torch.load(Path(run_dir) / PREDICTIONS, map_location="cpu", weights_only=True)
        tables = long_short_tables(
            saved["pred"],
            saved["label"],
            saved["date"],
            saved["target_names"],
            saved["target_horizons"],
            saved["asset"],
        )
        per_run.append({name: table["summary"] for name, table in tables.items()})
    return {
        name: {key: mean_std([run[name][key] for run in per_run])["mean"] for key in table}
        for name, table in per_run[0].items()
    }


def oracle_row(oracle: Optional[Predictions]) -> Optional[Dict[str, Any]]:
    """The oracle's test metrics and information table, or None without a planted signal."""
    if oracle is None:
        return None
    from fla_encoders.evaluation.factor import information_table

    daily = oracle.daily_ic()
    return {
        "metrics": oracle.metrics(),
        "daily": {"ic": daily["ic"].tolist()},
        "information": {"mean": {kind: information_table(daily[kind].tolist()) for kind in KINDS}},
    }


def summarize(
    runs: Runs,
    run_dirs: Dict[str, List[Path]],
    unavailable: Dict[str, str],
    seeds: int,
    oracle: Optional[Predictions] = None,
) -> Dict[str, Any]:
    """Every number of the comparison (see the module docstring), JSON-ready."""
    oracle_summary = oracle_row(oracle)
    rows = {}
    for encoder, results in runs.items():
        row: Dict[str, Any] = {
            "level": LEVELS.get(encoder, "-"),
            "seeds": len(results),
            "promised_gain": PROMISED.get(encoder),
            "metrics": {m: mean_std([r["test"]["mean"][m] for r in results]) for m in METRICS},
            "information": information(results),
            "long_short": long_short(run_dirs[encoder]),
        }
        if oracle_summary is not None:
            row["oracle_fraction"] = {
                name: mean_std([r["test"][name]["ic"] for r in results])["mean"] / m["ic"]
                for name, m in oracle_summary["metrics"].items()
            }
        if encoder != BASELINE and BASELINE in runs:
            row["vs_baseline"] = gains(results, runs[BASELINE], PROMISED.get(encoder))
        if encoder != REFERENCE and REFERENCE in runs:
            row["vs_reference"] = gains(results, runs[REFERENCE], None)
        rows[encoder] = row
    return {
        "seeds": seeds,
        "baseline": BASELINE,
        "reference": REFERENCE,
        "oracle": oracle_summary,
        "encoders": rows,
        "planted_effect": planted_effect(rows, runs) if oracle_summary is not None else None,
        "unavailable": unavailable,
        "runs": runs,
    }


def finite(value: float) -> float:
    """``value``, or -inf where it is NaN (to rank by it)."""
    return value if value == value else float("-inf")


def planted_effect(rows: Dict[str, Dict[str, Any]], runs: Runs) -> Optional[Dict[str, Any]]:
    """The best sequence encoder against ``linear`` on the first target: its name, the target
    and the gain estimate. On the mock the planted reversal lives in the next date's return, the
    first target; later targets add returns whose planted part no window holds."""
    sequence = [e for e, row in rows.items() if "vs_reference" in row]
    if not sequence:
        return None
    target = next(iter(runs[sequence[0]][0]["daily"]["targets"]))
    best = max(
        sequence,
        key=lambda e: finite(mean_std([r["test"][target]["ic"] for r in runs[e]])["mean"]),
    )
    gain = rows[best]["vs_reference"]["ic"].get(target, rows[best]["vs_reference"]["ic"]["mean"])
    return {"encoder": best, "target": target, "vs_reference": gain}
