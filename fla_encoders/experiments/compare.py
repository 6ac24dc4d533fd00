"""The ladder against its baseline (``ladder.json``): each encoder trained on matched seeds, then
summarised.

Encoder ``e`` runs the built-in configuration whose model uses ``e`` (e.g. ``level1_rwkv7``),
or the base configuration with ``model.encoder_name = e`` and no encoder arguments; then the
overrides apply: ``key=value`` to every encoder, ``e:key=value`` to ``e`` only. The seed of run
``s`` is ``training.seed = s``, so encoder and baseline share data, split and seed.
"""

import json
import logging
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from fla_encoders.evaluation.stats import mean_std, paired_difference, verdict
from fla_encoders.experiments.config import (
    apply_overrides,
    config_names,
    load_config,
    scoped_overrides,
)
from fla_encoders.experiments.run import datasets_for, run_experiment
from fla_encoders.registry import EncoderLoadError, FLAEncoderFactory, UnknownEncoderError

log = logging.getLogger(__name__)

LADDER = json.loads((Path(__file__).resolve().parent / "ladder.json").read_text())
BASELINE: str = LADDER["baseline"]
TARGETS = {
    e: spec["promised_gain"] for e, spec in LADDER["encoders"].items() if "promised_gain" in spec
}
LEVELS = {e: spec["level"] for e, spec in LADDER["encoders"].items()}
METRICS = ("ic", "rank_ic", "icir", "rank_icir")


def encoder_config(encoder: str, base: Dict[str, Any], overrides: Sequence[str]) -> Dict[str, Any]:
    """The configuration of ``encoder``: its built-in one or ``base``, then ``overrides``."""
    config = None
    for name in config_names():
        candidate = load_config(name)
        if candidate["model"].get("encoder_name") == encoder:
            config = {**base, "model": candidate["model"]}
            break
    if config is None:
        config = apply_overrides(base, [f"model.encoder_name={json.dumps(encoder)}"])
        config["model"]["encoder_kwargs"] = {}
    return apply_overrides(config, scoped_overrides(overrides, encoder))


def unavailable_reason(encoder: str) -> Optional[str]:
    """None if ``encoder`` loads, else why not."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            FLAEncoderFactory.get(encoder)
        except UnknownEncoderError:
            return "not registered"
        except EncoderLoadError as exc:
            return f"fails to load: {exc.__cause__!r}"
    return None


def compare(
    encoders: Sequence[str],
    seeds: int,
    base: Dict[str, Any],
    overrides: Sequence[str],
    out_dir: Path,
) -> Dict[str, Any]:
    """Train every available encoder of ``encoders`` (``BASELINE`` first) on seeds
    ``0..seeds-1``; return the summary (see ``summarize``). Runs are kept under
    ``out_dir/runs/<encoder>/seed<s>/`` and reused or resumed by a rerun."""
    if seeds < 1:
        raise ValueError(f"seeds: expected >= 1, got {seeds}")
    order = [BASELINE] + [e for e in encoders if e != BASELINE]
    runs: Dict[str, List[Dict[str, Any]]] = {}
    unavailable: Dict[str, str] = {}
    datasets = None
    for encoder in order:
        reason = unavailable_reason(encoder)
        if reason is not None:
            unavailable[encoder] = reason
            log.warning("%s unavailable: %s", encoder, reason)
            continue
        runs[encoder] = []
        for seed in range(seeds):
            config = encoder_config(encoder, base, [*overrides, f"training.seed={seed}"])
            datasets = datasets or datasets_for(config)
            log.info("training %s, seed %d", encoder, seed)
            result = run_experiment(config, out_dir / "runs" / encoder / f"seed{seed}", datasets)
            runs[encoder].append(result)
            log.info("%s seed %d: test IC %.4f", encoder, seed, result["test"]["mean"]["ic"])
    return summarize(runs, unavailable, seeds)


def summarize(
    runs: Dict[str, List[Dict[str, Any]]], unavailable: Dict[str, str], seeds: int
) -> Dict[str, Any]:
    """Per encoder: each metric's mean and std over seeds (test metrics averaged over targets),
    the paired difference of test IC against the baseline, and the verdict on its target."""
    rows = {}
    baseline = runs.get(BASELINE)
    for encoder, results in runs.items():
        row: Dict[str, Any] = {"level": LEVELS.get(encoder, "-"), "seeds": len(results)}
        for metric in METRICS:
            row[metric] = mean_std([r["test"]["mean"][metric] for r in results])
        target = TARGETS.get(encoder)
        row["target"] = target
        if baseline is not None and encoder != BASELINE:
            row["vs_baseline"] = paired_difference(
                [r["test"]["mean"]["ic"] for r in results],
                [r["test"]["mean"]["ic"] for r in baseline],
            )
            row["verdict"] = verdict(row["vs_baseline"], target)
        else:
            row["verdict"] = "baseline" if encoder == BASELINE else "no baseline"
        rows[encoder] = row
    return {
        "seeds": seeds,
        "baseline": BASELINE,
        "encoders": rows,
        "unavailable": unavailable,
        "runs": runs,
    }
