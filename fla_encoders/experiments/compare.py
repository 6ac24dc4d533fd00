"""The ladder's runs: each encoder trained on matched seeds (``fla_encoders.experiments.ladder``
summarises them).

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

from fla_encoders.evaluation.oracle import oracle_predictions
from fla_encoders.experiments.config import (
    apply_overrides,
    build_model,
    config_names,
    load_config,
    scoped_overrides,
)
from fla_encoders.experiments.ladder import BASELINE, summarize
from fla_encoders.experiments.progress import RunBoard
from fla_encoders.experiments.runner import RunSpec, SerialRunner, shared_datasets
from fla_encoders.registry import EncoderLoadError, FLAEncoderFactory, UnknownEncoderError

log = logging.getLogger(__name__)


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


def run_specs(
    encoders: Sequence[str],
    seeds: int,
    base: Dict[str, Any],
    overrides: Sequence[str],
    out_dir: Path,
    threads_per_run: int = 1,
) -> List[RunSpec]:
    """One run per (encoder, seed), seeds ``0..seeds-1``, under
    ``out_dir/runs/<encoder>/seed<s>/``; ``training.threads`` pinned to ``threads_per_run``."""
    pinned = [*overrides, f"training.threads={threads_per_run}"]
    return [
        RunSpec(
            f"{encoder}/seed{seed}",
            encoder_config(encoder, base, [*pinned, f"training.seed={seed}"]),
            str(out_dir / "runs" / encoder / f"seed{seed}"),
        )
        for encoder in encoders
        for seed in range(seeds)
    ]


def check_models(specs: Sequence[RunSpec]) -> None:
    """Build each spec's model on its data once, so that a configuration that cannot make a
    model stops the comparison before any training, naming the run."""
    for spec in specs:
        prepared = shared_datasets(spec.config)["train"].prepared
        try:
            build_model(spec.config, prepared.n_features, prepared.num_targets)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{spec.name}: the configuration makes no model: {exc}") from exc


def compare(
    encoders: Sequence[str],
    seeds: int,
    base: Dict[str, Any],
    overrides: Sequence[str],
    out_dir: Path,
    runner: Optional[Any] = None,
    threads_per_run: int = 1,
) -> Dict[str, Any]:
    """Train every available encoder of ``encoders`` (``BASELINE`` first) on seeds
    ``0..seeds-1`` with ``runner`` (default: one after another, see
    ``fla_encoders.experiments.runner``); return the summary (see ``summarize``). Runs are kept
    under ``out_dir/runs/<encoder>/seed<s>/`` and reused or resumed by a rerun."""
    if seeds < 1:
        raise ValueError(f"seeds: expected >= 1, got {seeds}")
    order = [BASELINE] + [e for e in encoders if e != BASELINE]
    unavailable = {e: r for e, r in ((e, unavailable_reason(e)) for e in order) if r is not None}
    for encoder, reason in unavailable.items():
        log.warning("%s unavailable: %s", encoder, reason)
    available = [e for e in order if e not in unavailable]
    specs = run_specs(available, seeds, base, overrides, out_dir, threads_per_run)
    check_models(specs[::seeds])
    runner = SerialRunner() if runner is None else runner
    results = {spec.name: result for spec, result in runner.run(specs, RunBoard(len(specs)))}
    for encoder in list(available):
        failed = [
            f"{encoder}/seed{s}" for s in range(seeds) if "error" in results[f"{encoder}/seed{s}"]
        ]
        if failed:
            unavailable[encoder] = f"run {failed[0]} failed: {results[failed[0]]['error']}"
            available.remove(encoder)
    runs = {e: [results[f"{e}/seed{s}"] for s in range(seeds)] for e in available}
    folders = {e: [Path(s.out_dir) for s in specs if s.name.startswith(f"{e}/")] for e in available}
    oracle = oracle_predictions(shared_datasets(specs[0].config)["test"]) if specs else None
    return summarize(runs, folders, unavailable, seeds, oracle)
