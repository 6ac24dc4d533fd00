"""Command line (``fla-encoders`` or ``python -m fla_encoders``): ``list``, ``train``,
``evaluate``, ``predict``, ``compare``, ``store`` and ``report``."""

import argparse
import functools
import json
import logging
import sys
import warnings
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from fla_encoders.registry import EncoderLoadError, EncoderPluginWarning, FLAEncoderFactory


def list_encoders(check: bool) -> int:
    """Print every encoder name and where it comes from; with ``check``, load each one.

    Returns 1 if a checked encoder fails to load, else 0.
    """
    names = FLAEncoderFactory.list_available()
    if not names:
        print(
            f"no encoders: none registered in code and none installed in entry-point group "
            f"{FLAEncoderFactory.group!r}"
        )
        return 0
    rows = [["NAME", "DISTRIBUTION", "TARGET"] + (["STATUS"] if check else [])]
    failed = False
    for name in names:
        for rank, provider in enumerate(FLAEncoderFactory.providers(name)):
            row = [name, provider.distribution or "(in-code)", provider.target]
            if rank:
                row[0] = ""
                row += ["shadowed"] if check else []
            elif check:
                status = load_status(name)
                failed = failed or status != "ok"
                row.append(status)
            rows.append(row)
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return int(failed)


def load_status(name: str) -> str:
    """``"ok"`` if ``name`` loads, else ``"failed: <cause>"`` (the table replaces the warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EncoderPluginWarning)
        try:
            FLAEncoderFactory.get(name)
        except EncoderLoadError as exc:
            return f"failed: {type(exc.__cause__).__name__}: {exc.__cause__}"
    return "ok"


def data_overrides(spec: Optional[str], config: dict) -> List[str]:
    """``--data``: ``mock``, a panel store (its normalisation set with it, see
    ``fla_encoders.data.store``), or a file: a long panel when it has an asset column (see
    ``fla_encoders.data.source_of``), else a wide price table. A source other than
    ``config``'s replaces its options; the same source keeps them but the path."""
    if spec is None:
        return []
    from fla_encoders.data.store import NORMALISATION, is_store, store_meta

    prepared: List[str] = []
    if spec == "mock":
        source, options = "mock", {}
    elif is_store(spec):
        meta = store_meta(spec)
        source, options = "store", {"path": spec}
        prepared = [f"data.{key}={json.dumps(meta[key])}" for key in NORMALISATION]
    else:
        from fla_encoders.data import source_of

        if not Path(spec).is_file():
            raise SystemExit(f"--data: {spec!r} is neither 'mock', a panel store nor a file")
        source, options = source_of(spec), {"path": spec}
    if config.get("data", {}).get("source", "mock") == source:
        chosen = [f"data.options.{key}={json.dumps(value)}" for key, value in options.items()]
    else:
        chosen = [f"data.source={json.dumps(source)}", f"data.options={json.dumps(options)}"]
    return chosen + prepared


def check_fits(model, dataset) -> None:
    """Refuse data whose feature or target count differs from what ``model`` was trained on."""
    prepared = dataset.prepared
    trained = (model.n_features, model.num_targets)
    if (prepared.n_features, prepared.num_targets) != trained:
        raise SystemExit(
            f"--data: the model was trained on {trained[0]} features and {trained[1]} targets; "
            f"this data has {prepared.n_features} features and {prepared.num_targets} targets "
            f"({', '.join(prepared.panel.target_names)})"
        )


def print_metrics(metrics: dict) -> None:
    """One line per target (and their mean): IC, ICIR, Rank IC, Rank ICIR."""
    print(f"{'TARGET':<12} {'IC':>8} {'ICIR':>8} {'RANK_IC':>8} {'RANK_ICIR':>9}")
    for name, m in metrics.items():
        print(
            f"{name:<12} {m['ic']:8.4f} {m['icir']:8.3f} {m['rank_ic']:8.4f} {m['rank_icir']:9.3f}"
        )


Command = Callable[[argparse.Namespace], int]


def exits_on_failure(command: Command) -> Command:
    """``command`` with a training or run-file failure (``TrainingError``, ``CheckpointError``)
    turned into its message on stderr and exit code 1, without a traceback."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        from fla_encoders.training import CheckpointError, TrainingError

        try:
            return command(args)
        except (TrainingError, CheckpointError) as exc:
            print(f"fla-encoders {args.command}: error: {exc}", file=sys.stderr)
            return 1

    return run


def model_overrides(overrides: Sequence[str]) -> List[str]:
    """The ``--set`` overrides of ``model.*`` settings."""
    return [o for o in overrides if o.partition("=")[0].split(".")[0] == "model"]


@exits_on_failure
def train_command(args: argparse.Namespace) -> int:
    from fla_encoders.experiments import apply_overrides, load_config, run_experiment
    from fla_encoders.training.distributed import LOCAL, join, leave

    config = load_config(args.config)
    config = apply_overrides(config, data_overrides(args.data, config) + args.set)
    out = Path(args.out or f"runs/{config.get('name', 'train')}")
    group = join(config.get("training", {}).get("device", "cpu")) if args.distributed else LOCAL
    if not group.is_main:  # rank 0 speaks for the group
        logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
    try:
        result = run_experiment(config, out, group=group)
    finally:
        leave(group)
    if not group.is_main:
        return 0
    print(f"trained {result['encoder']} (seed {result['seed']}), best epoch {result['best_epoch']}")
    print_metrics(result["test"])
    print(f"model, checkpoint and result in {out}/")
    return 0


def trained_split(args: argparse.Namespace):
    """``(model, dataset)``: the model of ``--model`` as it was trained (``model.*`` settings
    refused) and its ``--split`` of the data (``--data``, ``--set``), checked to fit it."""
    from fla_encoders.experiments import apply_overrides, datasets_for, load_trained

    refused = model_overrides(args.set)
    if refused:
        raise SystemExit(
            f"--set {refused[0]}: {args.command} scores the model as it was trained, its model "
            f"settings cannot change; train a new model with them (fla-encoders train --set ...)"
        )
    config, model = load_trained(args.model)
    datasets = datasets_for(apply_overrides(config, data_overrides(args.data, config) + args.set))
    check_fits(model, datasets[args.split])
    return model, datasets[args.split]


@exits_on_failure
def evaluate_command(args: argparse.Namespace) -> int:
    from fla_encoders.experiments import evaluate_model

    model, dataset = trained_split(args)
    print_metrics(evaluate_model(model, dataset)["metrics"])
    return 0


@exits_on_failure
def predict_command(args: argparse.Namespace) -> int:
    from fla_encoders.data.frames import write_frame
    from fla_encoders.evaluation.predict import predict

    model, dataset = trained_split(args)
    frame = predict(model, dataset).to_frame()
    write_frame(frame, Path(args.out))
    print(f"wrote {len(frame)} scores ({args.split} split) to {args.out}")
    return 0


def compare_runner(args: argparse.Namespace):
    """The runner of ``--backend`` and its options, refused where they do not go together."""
    from fla_encoders.experiments.runner import make_runner

    ray_options = {
        "--address": args.address,
        "--cpus-per-run": args.cpus_per_run,
        "--gpus-per-run": args.gpus_per_run,
    }
    if args.backend == "local":
        given = [name for name, value in ray_options.items() if value is not None]
        if given:
            raise SystemExit(f"compare: {', '.join(given)} go with --backend ray")
        return make_runner(args.jobs)
    if args.jobs != 1:
        raise SystemExit(
            "compare: --jobs is for --backend local; on Ray the cluster's CPUs and "
            "--cpus-per-run set how many runs go at a time"
        )
    cpus = args.threads_per_run if args.cpus_per_run is None else args.cpus_per_run
    try:
        return make_runner(
            backend="ray",
            address=args.address,
            cpus_per_run=cpus,
            gpus_per_run=args.gpus_per_run or 0,
        )
    except ImportError as exc:
        raise SystemExit(f"compare: {exc}") from exc


def compare_command(args: argparse.Namespace) -> int:
    from fla_encoders.evaluation.optional import require_stats
    from fla_encoders.experiments import load_config
    from fla_encoders.experiments.compare import compare
    from fla_encoders.experiments.report import table, write_report

    try:
        require_stats()  # before any training: the decisions need them
    except ImportError as exc:
        raise SystemExit(f"compare: {exc}") from exc
    runner = compare_runner(args)
    base = load_config(args.config)
    overrides = data_overrides(args.data, base) + args.set
    encoders = [e.strip() for e in args.encoders.split(",") if e.strip()]
    try:
        summary = compare(
            encoders, args.seeds, base, overrides, Path(args.out), runner, args.threads_per_run
        )
    except ValueError as exc:  # a setting that makes no data or no model: nothing was trained
        raise SystemExit(f"compare: {exc}") from exc
    settings = [
        f"--config {args.config}",
        f"--encoders {','.join(encoders)}",
        f"--seeds {args.seeds}",
        f"--threads-per-run {args.threads_per_run}",
        *overrides,
    ]
    written = write_report(summary, settings, Path(args.out))
    print(table(summary))
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def store_command(args: argparse.Namespace) -> int:
    from fla_encoders.data.config import DataConfig
    from fla_encoders.data.sources import load_panel
    from fla_encoders.data.store import write_store
    from fla_encoders.experiments import apply_overrides, load_config

    config = load_config(args.config)
    config = apply_overrides(config, data_overrides(args.data, config) + args.set)
    data = DataConfig.from_dict(config.get("data", {}))
    if data.source == "store":
        raise SystemExit("store: the data is a panel store already")
    if Path(args.out).exists():
        raise SystemExit(f"store: {args.out} exists: remove it or choose another --out")
    panel = load_panel(data.source, **data.options)
    norms = (data.feature_norm, data.label_norm, data.flag_missing)
    path = write_store(panel, args.out, *norms, dates_per_chunk=args.dates_per_chunk)
    print(
        f"wrote {path}: {len(panel.dates)} dates, {len(panel.assets)} assets, "
        f"{len(panel.feature_names)} features, {len(panel.target_names)} targets, normalised "
        f"{data.feature_norm} / {data.label_norm}{', missing flagged' if data.flag_missing else ''}"
    )
    print(f"train on it with --data {path}")
    return 0


def report_command(args: argparse.Namespace) -> int:
    from fla_encoders.experiments.report import regenerate

    written = regenerate(Path(args.results), Path(args.out))
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="fla-encoders",
        description="Encoders for financial time series: list, train, evaluate, predict, compare, "
        "store, report.",
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="list the encoders (reads metadata only)")
    listing.add_argument(
        "--check", action="store_true", help="also import each encoder and report those that fail"
    )
    overridable = argparse.ArgumentParser(add_help=False)
    overridable.add_argument("--data", help="'mock' or a CSV/Parquet file (default: the config's)")
    overridable.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting (JSON)"
    )
    train = commands.add_parser("train", parents=[overridable], help="train one configuration")
    train.add_argument("--config", required=True, help="a built-in configuration name or a file")
    train.add_argument("--out", help="output folder (default runs/<config name>)")
    train.add_argument(
        "--distributed",
        action="store_true",
        help="one model trained by the processes torchrun starts (docs/scale.md)",
    )
    evaluate = commands.add_parser(
        "evaluate", parents=[overridable], help="IC metrics of a trained model"
    )
    evaluate.add_argument("--model", required=True, help="a model.pt written by train")
    evaluate.add_argument("--split", default="test", choices=["train", "valid", "test"])
    predicting = commands.add_parser(
        "predict", parents=[overridable], help="scores of a trained model, per date and asset"
    )
    predicting.add_argument("--model", required=True, help="a model.pt written by train")
    predicting.add_argument("--split", default="test", choices=["train", "valid", "test"])
    predicting.add_argument(
        "--out", required=True, help="a .parquet or .csv file (index: datetime, instrument)"
    )
    comparing = commands.add_parser(
        "compare", parents=[overridable], help="train encoders on N seeds and compare with gru"
    )
    comparing.add_argument(
        "--encoders", default="gru,linear,transformer,rwkv7,gated_deltanet,gla,dual"
    )
    comparing.add_argument("--seeds", type=int, default=3)
    comparing.add_argument(
        "--jobs", type=int, default=1, help="runs at a time, each in a worker process"
    )
    comparing.add_argument(
        "--threads-per-run",
        type=int,
        default=1,
        help="torch threads of each run (recorded: a run's numbers depend on it, not on --jobs)",
    )
    comparing.add_argument("--config", default="baseline_gru", help="base configuration")
    comparing.add_argument(
        "--out",
        default="runs/compare",
        help="output folder (with --backend ray: on a file system every node sees)",
    )
    comparing.add_argument(
        "--backend",
        choices=["local", "ray"],
        default="local",
        help="local: --jobs processes on this machine; ray: one Ray task per run (docs/scale.md)",
    )
    comparing.add_argument(
        "--address",
        help="with --backend ray: the cluster (default RAY_ADDRESS, else one started here)",
    )
    comparing.add_argument(
        "--cpus-per-run",
        type=float,
        help="with --backend ray: CPUs each run reserves (default: --threads-per-run)",
    )
    comparing.add_argument(
        "--gpus-per-run",
        type=float,
        help="with --backend ray: GPUs each run reserves (default 0; train on them with "
        "--set training.device=cuda)",
    )
    storing = commands.add_parser(
        "store",
        parents=[overridable],
        help="write a panel, normalised, as a panel store that runs read lazily",
    )
    storing.add_argument(
        "--config", default="baseline_gru", help="whose data section (source, normalisation)"
    )
    storing.add_argument("--out", required=True, help="the store's folder (must not exist)")
    storing.add_argument(
        "--dates-per-chunk", type=int, default=64, help="dates normalised and written at a time"
    )
    reporting = commands.add_parser(
        "report", help="remake a comparison's report and plots from its results.json"
    )
    reporting.add_argument("results", help="a results.json written by compare")
    reporting.add_argument("--out", required=True, help="the report's path (.md); plots beside it")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s: %(message)s")
    if args.command == "list":
        return list_encoders(args.check)
    handlers = {
        "train": train_command,
        "evaluate": evaluate_command,
        "predict": predict_command,
        "compare": compare_command,
        "store": store_command,
        "report": report_command,
    }
    return handlers[args.command](args)
